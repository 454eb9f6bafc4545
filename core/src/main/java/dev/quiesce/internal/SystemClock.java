package dev.quiesce.internal;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;

/**
 * The default {@link QuiesceClock}: {@link System#nanoTime()}, {@link Instant#now()}, the {@link Timers}
 * thread, {@link LockSupport#parkNanos(Object, long)}, {@link Condition#awaitNanos(long)} and
 * {@link CountDownLatch#await(long, TimeUnit)}, each called as Quiesce called it before the clock seam.
 */
final class SystemClock implements QuiesceClock {
    static final SystemClock INSTANCE = new SystemClock();

    private SystemClock() {}

    /** {@link System#nanoTime()}. */
    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    /** {@link LockSupport#parkNanos(Object, long)}. */
    @Override
    public void parkNanos(Object blocker, long nanos) {
        LockSupport.parkNanos(blocker, nanos);
    }

    /** {@link Instant#now()}. */
    @Override
    public Instant instant() {
        return Instant.now();
    }

    /** {@link Condition#awaitNanos(long)}. */
    @Override
    public long awaitNanos(Condition condition, long nanos) throws InterruptedException {
        return condition.awaitNanos(nanos);
    }

    /** On the one {@link Timers} thread, a daemon platform thread. */
    @Override
    public ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return Timers.schedule(action, delayNanos);
    }

    /** {@link CountDownLatch#await(long, TimeUnit)}. */
    @Override
    public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        return latch.await(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public String toString() {
        return "SystemClock";
    }
}
