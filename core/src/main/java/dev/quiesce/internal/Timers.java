package dev.quiesce.internal;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread Quiesce uses for deadlines and shield budgets: a daemon platform thread, so
 * that a deadline fires (and its cancellation interrupts every thread) even when every carrier of
 * the virtual-thread scheduler is busy.
 */
public final class Timers {
    private Timers() {}

    private static final class Holder {
        static final ScheduledThreadPoolExecutor TIMER = create();

        private static ScheduledThreadPoolExecutor create() {
            var t = new ScheduledThreadPoolExecutor(1, r -> Thread.ofPlatform()
                    .name("quiesce-timer")
                    .daemon(true)
                    .unstarted(r));
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }

    /** Runs {@code action} on the timer thread after {@code delayNanos}. */
    public static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return Holder.TIMER.schedule(action, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code action} on the timer thread after {@code delay}. */
    public static ScheduledFuture<?> schedule(Runnable action, Duration delay) {
        return schedule(action, saturatedNanos(delay));
    }

    /**
     * The longest delay Quiesce computes with: about 146 years. {@code System.nanoTime()} differences are
     * only meaningful below 2<sup>63</sup> ns, so a deadline further away than this is treated as this
     * far away (it cannot pass while the JVM runs) instead of overflowing.
     */
    public static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 2;

    /** {@code d} in nanoseconds, clamped to [-{@link #MAX_DELAY_NANOS}, {@link #MAX_DELAY_NANOS}]. */
    public static long delayNanos(Duration d) {
        return Math.max(-MAX_DELAY_NANOS, Math.min(MAX_DELAY_NANOS, saturatedNanos(d)));
    }

    /** {@code at + d}, saturated at {@link Instant#MIN} and {@link Instant#MAX}. */
    public static Instant saturatedPlus(Instant at, Duration d) {
        try {
            return at.plus(d);
        } catch (DateTimeException | ArithmeticException e) {
            return d.isNegative() ? Instant.MIN : Instant.MAX;
        }
    }

    /**
     * {@code d} for a message: its ISO form and, where it fits in a {@code long}, its milliseconds
     * ({@code "PT5S (5000 ms)"}). Safe for any duration ({@link Duration#toMillis()} is not).
     */
    public static String describe(Duration d) {
        try {
            return d + " (" + d.toMillis() + " ms)";
        } catch (ArithmeticException e) {
            return d.toString();
        }
    }

    /** {@code d} in milliseconds, saturated at {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE}. */
    public static long saturatedMillis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** {@code d} in nanoseconds, saturated at {@link Long#MAX_VALUE}. */
    public static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }
}
