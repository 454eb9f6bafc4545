package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
 * (b) The joiner's own cancellation ({@code anySuccessfulResultOrThrow}: the first success cancels the
 * scope with {@code Completed}) races with an explicit {@code cancel()} from another thread. The first
 * reason wins, and {@code join()} follows it: the result if the joiner won, a {@link CancelledException}
 * with the explicit reason if the other thread did.
 */
@JCStressTest
@Description("the joiner's Completed cancellation vs an explicit cancel(): first reason wins and join() agrees")
@Outcome(id = "joiner-won", expect = ACCEPTABLE, desc = "the subtask succeeded first: reason Completed, join() returned its result")
@Outcome(id = "explicit-won", expect = ACCEPTABLE_INTERESTING,
        desc = "the explicit cancel() won: join() threw CancelledException with its reason")
@Outcome(expect = FORBIDDEN, desc = "cancel()'s result, the scope's reason and join()'s outcome disagree")
@State
public class JoinerVsExplicitCancel {
    private static final CancelReason EXPLICIT = CancelReason.explicit("other thread");

    private volatile Scope<String, String> scope;
    private volatile boolean arrived;
    private boolean explicitWon;
    private String joinOutcome;
    private CancelReason reason;

    @Actor
    public void owner() {
        try (var s = Scope.open(Joiner.<String>anySuccessfulResultOrThrow(),
                cfg -> cfg.withName("any").withCloseTimeout(Duration.ofSeconds(5)))) {
            scope = s;
            Harness.awaitTrue(() -> arrived, Harness.WAIT_NANOS); // start line: both race from here
            s.fork(() -> "x");
            try {
                joinOutcome = "result " + s.join();
            } catch (CancelledException e) {
                joinOutcome = e.reason() == EXPLICIT ? "cancelled explicit" : "cancelled " + e.reason();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                joinOutcome = "interrupted";
            }
            reason = s.cancelReason().orElse(null);
        }
    }

    @Actor
    public void other() {
        Scope<String, String> s = Harness.awaitValue(() -> scope, "the owner's scope");
        arrived = true;
        explicitWon = s.cancel(EXPLICIT);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        if (!explicitWon && reason instanceof CancelReason.Completed && "result x".equals(joinOutcome)) {
            r.r1 = "joiner-won";
        } else if (explicitWon && reason == EXPLICIT && "cancelled explicit".equals(joinOutcome)) {
            r.r1 = "explicit-won";
        } else {
            r.r1 = "explicitWon=" + explicitWon + " reason=" + (reason == EXPLICIT ? "explicit" : reason)
                    + " join=" + joinOutcome;
        }
    }
}
