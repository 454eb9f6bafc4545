package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (b) Two threads cancel one scope with different reasons while a subtask blocks in it (the owner waits
 * for the task to start before the race). Exactly one
 * {@code cancel} returns {@code true}, and its reason is the one everybody sees: the scope, the
 * interrupted task ({@code Scope.current().cancelReason()}) and the owner's {@code join()} exception.
 */
@JCStressTest
@Description("cancel(A) by the owner vs cancel(B) by another thread: one winner, whose reason the scope, the task "
        + "and join() all report")
@Outcome(id = "owner-won", expect = ACCEPTABLE, desc = "the owner's cancel won; everybody sees reason A")
@Outcome(id = "other-won", expect = ACCEPTABLE, desc = "the other thread's cancel won; everybody sees reason B")
@Outcome(expect = FORBIDDEN,
        desc = "both or neither cancel() returned true, or the scope, the task or join() disagree on the reason")
@State
public class TwoCancelsFirstReasonWins {
    private static final CancelReason A = CancelReason.explicit("A");
    private static final CancelReason B = CancelReason.explicit("B");

    private volatile Scope<Object, Void> scope;
    private volatile boolean started;
    private volatile boolean arrived;
    private volatile CancelReason taskSaw;
    private boolean ownerWon;
    private boolean otherWon;
    private CancelReason joinSaw;
    private CancelReason scopeSaw;

    @Actor
    public void owner() {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("reasons").withCloseTimeout(Duration.ofSeconds(5)))) {
            s.fork(() -> {
                started = true;
                try {
                    Thread.sleep(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    taskSaw = Scope.current().cancelReason().orElse(null);
                    throw e;
                }
                return null;
            });
            // the task must be blocked in the scope before the race, so that both cancels find it running
            Harness.awaitTrue(() -> started, Harness.WAIT_NANOS);
            scope = s;
            Harness.awaitTrue(() -> arrived, Harness.WAIT_NANOS); // start line: both race from here
            ownerWon = s.cancel(A);
            try {
                s.join();
            } catch (CancelledException e) {
                joinSaw = e.reason();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scopeSaw = s.cancelReason().orElse(null);
        }
    }

    @Actor
    public void other() {
        Scope<Object, Void> s = Harness.awaitValue(() -> scope, "the owner's scope");
        arrived = true;
        otherWon = s.cancel(B);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        CancelReason winner = ownerWon && !otherWon ? A : otherWon && !ownerWon ? B : null;
        if (winner != null && scopeSaw == winner && joinSaw == winner && taskSaw == winner) {
            r.r1 = winner == A ? "owner-won" : "other-won";
        } else {
            r.r1 = "ownerWon=" + ownerWon + " otherWon=" + otherWon + " scope=" + name(scopeSaw)
                    + " join=" + name(joinSaw) + " task=" + name(taskSaw);
        }
    }

    private static String name(CancelReason r) {
        return r == A ? "A" : r == B ? "B" : String.valueOf(r);
    }
}
