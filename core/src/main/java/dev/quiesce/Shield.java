package dev.quiesce;

import dev.quiesce.internal.ShieldRegion;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A region of code that cancellation does not interrupt, bounded by its own budget: for cleanup and
 * persistence that must run to the end even though the scope around it is being cancelled.
 *
 * {@snippet class=dev.quiesce.snippets.ScopeSnippets region=shield}
 *
 * <p>While the calling thread (a subtask thread) is inside the region, a cancellation of its scope
 * does not interrupt it; the interrupt is delivered when the region ends, so code after the region
 * still sees it. An interrupt status already set when the region starts is cleared for the region and
 * restored after it. When the budget runs out the thread <em>is</em> interrupted, so the region ends at
 * its budget provided the body responds to interrupts; it then throws
 * {@link DeadlineExceededException} (with the body's exception as cause) instead of the body's
 * interrupt-caused exception. Shields nest; an inner shield's budget applies to the inner body only.
 *
 * <p>This class is thread-safe: each call protects the calling thread only.
 */
public final class Shield {
    private Shield() {}

    /** A body without a result that may throw. */
    @FunctionalInterface
    public interface Body {
        /** Runs the body. */
        void run() throws Exception;
    }

    /**
     * Runs {@code body} shielded from cancellation for at most {@code budget}.
     *
     * @throws DeadlineExceededException if the budget ran out and the body stopped because of it
     * @throws Exception whatever the body throws
     */
    public static <T> T call(Duration budget, Callable<T> body) throws Exception {
        ScopeConfig.requirePositive(budget, "shield budget");
        Objects.requireNonNull(body, "body must not be null");
        return ShieldRegion.call(budget, body);
    }

    /** Like {@link #call(Duration, Callable)} for a body without a result. */
    public static void run(Duration budget, Body body) throws Exception {
        ScopeConfig.requirePositive(budget, "shield budget");
        Objects.requireNonNull(body, "body must not be null");
        ShieldRegion.call(budget, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Runs {@code body} shielded for the time left until the current scope's effective deadline (for a
     * shutdown, the remaining shutdown budget).
     *
     * @throws IllegalStateException if the current thread runs in no scope or its scope has no deadline;
     *     pass a budget instead
     * @throws DeadlineExceededException if the deadline has already passed, or passed during the body
     */
    public static <T> T call(Callable<T> body) throws Exception {
        Objects.requireNonNull(body, "body must not be null");
        return call(remainingBudget(), body);
    }

    /** Like {@link #call(Callable)} for a body without a result. */
    public static void run(Body body) throws Exception {
        Objects.requireNonNull(body, "body must not be null");
        run(remainingBudget(), body);
    }

    private static Duration remainingBudget() {
        Scope<?, ?> scope = Scope.find().orElseThrow(() -> new IllegalStateException(
                "Shield without a budget needs a scope deadline to bound it, but the current thread runs in no "
                        + "scope: pass a budget, e.g. Shield.run(Duration.ofSeconds(2), body)"));
        if (scope.deadline().isEmpty()) {
            throw new IllegalStateException("Shield without a budget needs a deadline to bound it, but scope "
                    + scope.path() + " has none: pass a budget, e.g. Shield.run(Duration.ofSeconds(2), body)");
        }
        Duration left = scope.remaining();
        if (left.isZero()) {
            CancelReason r = new CancelReason.Deadline(scope.path(), scope.deadline().get());
            throw new DeadlineExceededException("no budget left for a shielded region: the deadline of "
                    + scope.path() + " has passed", r);
        }
        return left;
    }
}
