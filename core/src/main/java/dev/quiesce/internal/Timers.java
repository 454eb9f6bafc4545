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

    /** An action that does nothing: what a warm-up schedules. */
    public static final Runnable NOTHING = () -> { };

    /**
     * Runs {@code action} on the timer thread after {@code delayNanos} of the system's time. Quiesce calls
     * {@link Clocks#schedule} instead, whose default clock calls this.
     */
    public static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return Holder.TIMER.schedule(action, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code action} on the timer thread after {@code delay} of the system's time; see {@link #schedule(Runnable, long)}. */
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
     * ({@code PT2562047788015215H30M7S}) where the milliseconds do not fit a {@code long}. The shutdown's
     * messages use this; {@link #describe} also gives the ISO form.
     */
    public static String describeMillis(Duration d) {
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
     * A {@link Clocks#nanoTime()} deadline {@code d} from now, for code that compares it as
     * {@code deadline - Clocks.nanoTime()}: saturated so that the difference never overflows.
     */
    public static long deadlineNanos(Duration d) {
        long now = Clocks.nanoTime();
        long n = Math.max(0, saturatedNanos(d));
        // now + n may wrap, but deadline - later stays right for any n up to Long.MAX_VALUE minus what elapses:
        // keep a quarter of the range free for the elapsed time
        return now + Math.min(n, Long.MAX_VALUE / 4 * 3);
    }
}
