package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (b) {@code Subtask.cancel()} from another thread races with the subtask completing (it throws
 * InterruptedException if it notices the interrupt, else returns). The subtask ends in one final state,
 * which never changes once seen; a cancelled subtask is never a failure; {@code cancel()} returns
 * {@code false} only if the subtask had already completed.
 */
@JCStressTest
@Description("Subtask.cancel() vs the subtask completing: one final state, never FAILED, cancel()'s result agrees")
@Outcome(id = "SUCCESS, cancel=false", expect = ACCEPTABLE, desc = "completed before cancel(), which returned false")
@Outcome(id = "CANCELLED, cancel=true", expect = ACCEPTABLE,
        desc = "cancelled before it started, or interrupted and ended with InterruptedException")
@Outcome(id = "SUCCESS, cancel=true", expect = ACCEPTABLE_INTERESTING,
        desc = "cancel() came while the task ran, after its last interrupt check: it completed normally")
@Outcome(expect = FORBIDDEN, desc = "FAILED, still UNAVAILABLE after join(), a failure recorded, the state seen by "
        + "the canceller changed later, or cancel() returned false for a subtask that did not succeed")
@State
public class SubtaskCancelVsCompletion {
    private volatile Subtask<String> subtask;
    private Subtask.State finalState;
    private int failures;
    private boolean cancelled;
    private Subtask.State seenByCanceller;

    @Actor
    public void owner() {
        try (var s = Scope.open(Joiner.<String>awaitAll(), cfg -> cfg.withName("sub").withCloseTimeout(Duration.ofSeconds(5)))) {
            var sub = s.<String>fork(() -> {
                Thread.onSpinWait();
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("cancelled");
                }
                return "done";
            });
            subtask = sub;
            try {
                s.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            finalState = sub.state();
            failures = s.failures().size();
        }
    }

    @Actor
    public void canceller() {
        Subtask<String> sub = Harness.awaitValue(() -> subtask, "the owner's subtask");
        cancelled = sub.cancel();
        seenByCanceller = sub.state();
    }

    @Arbiter
    public void arbiter(L_Result r) {
        String s = finalState + ", cancel=" + cancelled;
        if (seenByCanceller != Subtask.State.UNAVAILABLE && seenByCanceller != finalState) {
            s += ", canceller saw " + seenByCanceller;
        }
        if (failures != 0) {
            s += ", " + failures + " failures";
        }
        r.r1 = s;
    }
}
