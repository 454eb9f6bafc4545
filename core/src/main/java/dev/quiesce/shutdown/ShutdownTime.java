package dev.quiesce.shutdown;

import dev.quiesce.internal.Clocks;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.Condition;

/**
 * The one place the shutdown reads time and waits for it: budgets, deadlines, the pre-drain delay, hook
 * timeouts, the drain's wait for idle, the watchdog's schedule. Each delegates to the engine's clock seam,
 * {@link Clocks}, so that a test's manual clock moves the shutdown's time along with the scopes'. Every
 * method is static and links nothing new after the trigger ({@link WarmUp} preloads {@link Clocks}).
 */
final class ShutdownTime {
    private ShutdownTime() {}

    /** The monotonic time in nanoseconds, for deadlines compared as {@code deadline - nanoTime()}. */
    static long nanoTime() {
        return Clocks.nanoTime();
    }

    /** The wall-clock instant, for the report's start time. */
    static Instant now() {
        return Clocks.instant();
    }

    /** A {@link #nanoTime()} deadline {@code d} from now, saturated so that {@code deadline - nanoTime()} never overflows. */
    static long deadlineNanos(Duration d) {
        return dev.quiesce.internal.Timers.deadlineNanos(d);
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
        return Clocks.awaitNanos(condition, nanos);
    }

    /** Waits until {@code latch} opens, at most {@code nanos}; whether it opened. */
    static boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        return Clocks.await(latch, nanos);
    }

    /** Runs {@code action} on the clock's timer after {@code delayNanos}. */
    static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return Clocks.schedule(action, delayNanos);
    }
}
