package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.Scope;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** The mechanics of {@link dev.quiesce.Shield}: the shield state of the subtask and the budget timer. */
public final class ShieldRegion {
    private static final int ACTIVE = 0;
    private static final int EXPIRING = 1;
    private static final int EXPIRED = 2;
    private static final int DONE = 3;

    private final Thread thread;
    private final AtomicInteger state = new AtomicInteger(ACTIVE);

    private ShieldRegion(Thread thread) {
        this.thread = thread;
    }

    /** Runs {@code body} shielded for at most {@code budget}; arguments already validated. */
    public static <T> T call(Duration budget, Callable<T> body) throws Exception {
        Thread me = Thread.currentThread();
        SubtaskImpl<?> subtask = SubtaskImpl.current();
        boolean outermost = subtask != null && !subtask.isShielded();
        if (outermost) {
            subtask.enterShield();
        }
        boolean wasInterrupted = Thread.interrupted();
        Instant deadline = Timers.saturatedPlus(Clocks.instant(), budget);
        var region = new ShieldRegion(me);
        ScheduledFuture<?> timer = Clocks.schedule(region::expire, budget);
        try {
            return body.call();
        } catch (Exception e) {
            if (region.state.get() != ACTIVE && SubtaskImpl.causedByCancellation(e)) {
                Scope<?, ?> scope = CurrentScope.currentOrNull();
                String where = scope == null ? "thread " + me.getName() : scope.path();
                var dee = new DeadlineExceededException("shielded region in " + where
                        + " did not finish within its budget of " + Timers.saturatedMillis(budget) + " ms",
                        new CancelReason.Deadline(where, deadline));
                dee.initCause(e);
                throw dee;
            }
            throw e;
        } finally {
            timer.cancel(false);
            if (region.finish()) {
                Thread.interrupted(); // the budget's own interrupt ends with the region
            }
            boolean pending = outermost && subtask.exitShield();
            if (wasInterrupted || pending) {
                me.interrupt();
            }
        }
    }

    private void expire() {
        if (state.compareAndSet(ACTIVE, EXPIRING)) {
            try {
                thread.interrupt();
            } finally {
                state.set(EXPIRED);
            }
        }
    }

    /** Ends the region; returns whether the budget expired (its interrupt must then be cleared). */
    private boolean finish() {
        for (;;) {
            int s = state.get();
            if (s == ACTIVE && state.compareAndSet(ACTIVE, DONE)) {
                return false;
            }
            if (s == EXPIRED) {
                return true;
            }
            Thread.onSpinWait(); // EXPIRING: the timer is between its CAS and interrupt()
        }
    }
}
