package dev.quiesce.internal;

import java.time.Duration;
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

    /** {@code d} in nanoseconds, saturated at {@link Long#MAX_VALUE}. */
    public static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** {@code d} in milliseconds, saturated at {@link Long#MAX_VALUE} (or {@link Long#MIN_VALUE}). */
    public static long saturatedMillis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** {@code a + b} for non-negative nanosecond counts, saturated at {@link Long#MAX_VALUE}. */
    public static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
    }

    /** The largest {@link Duration}: what a saturated sum of durations is at most. */
    public static final Duration MAX_DURATION = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

    /** {@code a + b}, saturated at {@link #MAX_DURATION} (or its negation) instead of throwing. */
    public static Duration saturatedPlus(Duration a, Duration b) {
        try {
            return a.plus(b);
        } catch (ArithmeticException e) {
            return a.isNegative() ? Duration.ofSeconds(Long.MIN_VALUE) : MAX_DURATION;
        }
    }

    /**
     * {@code d} for an error message or a log line, whatever its size: {@code "1500 ms"}, or the ISO form
     * ({@code PT2562047788015215H30M7S}) where the milliseconds do not fit a {@code long}.
     */
    public static String describe(Duration d) {
        if (d == null) {
            return "null";
        }
        try {
            return d.toMillis() + " ms";
        } catch (ArithmeticException e) {
            return d.toString();
        }
    }

    /**
     * A {@link System#nanoTime()} deadline {@code d} from now, for code that compares it as
     * {@code deadline - System.nanoTime()}: saturated so that the difference never overflows.
     */
    public static long deadlineNanos(Duration d) {
        long now = System.nanoTime();
        long n = Math.max(0, saturatedNanos(d));
        // now + n may wrap, but deadline - later stays right for any n up to Long.MAX_VALUE minus what elapses:
        // keep a quarter of the range free for the elapsed time
        return now + Math.min(n, Long.MAX_VALUE / 4 * 3);
    }
}
