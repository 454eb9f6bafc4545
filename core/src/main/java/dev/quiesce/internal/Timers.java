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
}
