package dev.quiesce.internal;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.Condition;

/**
 * The time Quiesce reads and waits for: scope deadlines, close timeouts, shield budgets, and the
 * shutdown's budgets, pre-drain delay, drain, hook timeouts and watchdog. Quiesce calls it only through
 * {@link Clocks}; the one in use is {@link Clocks#defaultClock()} (the system's time and timer thread) unless
 * a test installs another with {@link Clocks#install(QuiesceClock)}.
 *
 * <p>An implementation other than the default (a test's manual clock) must keep this contract:
 * <ul>
 *   <li>{@link #nanoTime()} is monotonic; every deadline in Quiesce is a {@code nanoTime()} value compared
 *       as {@code deadline - nanoTime()}.
 *   <li>Each timed wait ends by the time this clock's time has passed its deadline: its thread must be
 *       woken when the time is moved past it. A wait may also return early (a spurious wake-up): every
 *       caller in Quiesce re-reads {@link #nanoTime()} and re-checks what it waits for in a loop, as
 *       {@link java.util.concurrent.locks.LockSupport#parkNanos} and {@link Condition#awaitNanos} already
 *       require.
 *   <li>{@link java.util.concurrent.locks.LockSupport#unpark} wakes a thread in {@link #parkNanos}, and a
 *       signal or a count-down wakes one in {@link #awaitNanos} or {@link #await}, at once, whatever the
 *       time: that is how cancellation, completion and escalation reach a waiting thread.
 * </ul>
 *
 * <p>Thread-safe: every method is called from any thread.
 */
public interface QuiesceClock {

    /** The monotonic time in nanoseconds, as {@link System#nanoTime()}: only differences mean something. */
    long nanoTime();

    /** The wall-clock instant, as {@link Instant#now()}: for deadlines given as instants and for reports. */
    Instant instant();

    /**
     * Runs {@code action} once {@code delayNanos} of this clock's time have passed (at once, on the timer,
     * for a delay of zero or less), on a thread that is not the caller's.
     *
     * @return what cancels it: {@code cancel(false)} stops an action that has not started
     */
    ScheduledFuture<?> schedule(Runnable action, long delayNanos);

    /**
     * Parks the calling thread for at most {@code nanos} of this clock's time, as
     * {@link java.util.concurrent.locks.LockSupport#parkNanos(Object, long)}: it returns early on an
     * unpark, an interrupt, or spuriously, and the caller re-checks.
     */
    void parkNanos(Object blocker, long nanos);

    /**
     * Waits on {@code condition}, whose lock the caller holds, for at most {@code nanos} of this clock's
     * time, as {@link Condition#awaitNanos(long)}: it returns early on a signal or spuriously.
     *
     * @return an estimate of what is left of {@code nanos}, zero or less once it has passed
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    long awaitNanos(Condition condition, long nanos) throws InterruptedException;

    /**
     * Waits until {@code latch} opens or {@code nanos} of this clock's time have passed. Unlike the other
     * waits it does not return early: {@code false} means the time has passed.
     *
     * @return whether the latch opened
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    boolean await(CountDownLatch latch, long nanos) throws InterruptedException;
}
