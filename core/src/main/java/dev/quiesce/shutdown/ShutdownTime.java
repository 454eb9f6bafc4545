package dev.quiesce.shutdown;

import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * The one place the shutdown reads time and waits for it: budgets, deadlines, the pre-drain delay, hook
 * timeouts, the drain's wait for idle, the watchdog's schedule. Implemented on {@link System#nanoTime()},
 * {@link Instant#now()} and {@link Timers} today; moving the shutdown onto another clock is a change in
 * this file only. Every method is static and links nothing new after the trigger.
 */
final class ShutdownTime {
    private ShutdownTime() {}

    /** The monotonic time in nanoseconds, for deadlines compared as {@code deadline - nanoTime()}. */
    static long nanoTime() {
        return System.nanoTime();
    }

    /** The wall-clock instant, for the report's start time. */
    static Instant now() {
        return Instant.now();
    }

    /** A {@link #nanoTime()} deadline {@code d} from now, saturated so that {@code deadline - nanoTime()} never overflows. */
    static long deadlineNanos(Duration d) {
        long now = nanoTime();
        long n = Math.max(0, Timers.saturatedNanos(d));
        return now + Math.min(n, Long.MAX_VALUE / 4 * 3); // keep a quarter of the range for the elapsed time
    }

    /** What is left until {@code deadline}, zero if it has passed. */
    static long nanosUntil(long deadline) {
        long left = deadline - nanoTime();
        return left <= 0 ? 0 : left;
    }

    /**
     * Waits on {@code condition} (whose lock the caller holds) at most {@code nanos}, as
     * {@link Condition#awaitNanos(long)}: it may return early (signal, spurious wake-up); the caller re-checks.
     *
     * @return an estimate of what is left of {@code nanos}, as {@link Condition#awaitNanos(long)} returns
     */
    static long awaitNanos(Condition condition, long nanos) throws InterruptedException {
        return condition.awaitNanos(nanos);
    }

    /** Waits until {@code latch} opens, at most {@code nanos}; whether it opened. */
    static boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        return latch.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** Runs {@code action} on the timer thread after {@code delayNanos}. */
    static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return Timers.schedule(action, delayNanos);
    }
}
