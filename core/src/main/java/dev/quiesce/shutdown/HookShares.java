package dev.quiesce.shutdown;

import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.util.List;

/**
 * The budgets of one phase's hooks, the rule documented on {@link Shutdown#onCleanup(String, AutoCloseable)}:
 * each hook without a timeout of its own is guaranteed an equal share of the phase's budget and may take what
 * the hooks before it left, minus the shares of the hooks after it; a hook with a timeout of its own gets that
 * timeout, or what is left if less. Never more than what is left of the whole sequence.
 */
final class HookShares {
    private final Shutdown shutdown;
    private final List<? extends Registered<?>> hooks;
    private final long deadline;
    private final long share;

    HookShares(Shutdown shutdown, List<? extends Registered<?>> hooks, Duration phaseBudget) {
        this.shutdown = shutdown;
        this.hooks = hooks;
        long total = Math.min(Timers.saturatedNanos(phaseBudget), shutdown.remainingNanos());
        this.deadline = ShutdownTime.deadlineNanos(Duration.ofNanos(Math.max(0, total)));
        this.share = hooks.isEmpty() ? 0 : Math.max(0, total) / hooks.size();
    }

    /** The budget of hook {@code i}, to be asked right before it runs. */
    Duration budget(int i) {
        long left = Math.min(deadline - ShutdownTime.nanoTime(), shutdown.remainingNanos());
        if (left <= 0) {
            return Duration.ZERO;
        }
        Duration own = hooks.get(i).timeout();
        if (own != null) {
            return Duration.ofNanos(Math.min(Timers.saturatedNanos(own), left));
        }
        long reserved = 0; // the guaranteed shares of the hooks still to run after this one
        for (int j = i + 1; j < hooks.size(); j++) {
            Duration t = hooks.get(j).timeout();
            reserved = Timers.saturatedAdd(reserved, t == null ? share : Math.min(share, Timers.saturatedNanos(t)));
        }
        return Duration.ofNanos(Math.max(0, left - reserved));
    }
}
