package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (a) A fork from a thread that is not the owner races with the owner's {@code cancel()} and then
 * {@code close()}: the Dekker pair of the engine (fork adds to the running list, then reads the reason;
 * cancel writes the reason, then walks the list). The task blocks until it is interrupted, so a fork
 * that neither saw the cancellation nor was reached by the walk shows: the task is not interrupted and
 * close() gives up on it at the close timeout (5 s) and reports a straggler.
 */
@JCStressTest
@Description("forkService() from a non-owner thread vs the owner's cancel() + close(): every forked subtask is "
        + "either never started (CANCELLED) or interrupted; none is missed")
@Outcome(id = "rejected", expect = ACCEPTABLE, desc = "fork came after close() began and threw IllegalStateException")
@Outcome(id = "not-run", expect = ACCEPTABLE, desc = "fork saw the cancellation: the subtask is CANCELLED, never ran")
@Outcome(id = "interrupted", expect = ACCEPTABLE_INTERESTING,
        desc = "the task started before the cancel walk reached it and was interrupted by it: CANCELLED")
@Outcome(id = "missed", expect = FORBIDDEN,
        desc = "the task was never interrupted: close() abandoned it as a straggler at the close timeout")
@Outcome(id = "running-after-close", expect = FORBIDDEN,
        desc = "after close() returned the subtask was still UNAVAILABLE")
@Outcome(expect = FORBIDDEN, desc = "any other combination of subtask state, task run and stragglers")
@State
public class ForkServiceVsCancel {
    private volatile EngineScope<Object, Void> scope;
    private volatile boolean arrived;
    private volatile boolean ran;
    private volatile boolean interrupted;
    private volatile int stragglers;
    private Subtask<Object> subtask;

    @Actor
    public void owner() {
        var s = (EngineScope<Object, Void>) Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("cancel").withCloseTimeout(Duration.ofSeconds(5)));
        scope = s;
        Harness.awaitTrue(() -> arrived, Harness.WAIT_NANOS); // start line: both race from here
        s.cancel(CancelReason.explicit("test"));
        s.close();
        stragglers = s.stragglers().size();
    }

    @Actor
    public void forker() {
        EngineScope<Object, Void> s = Harness.awaitValue(() -> scope, "the owner's scope");
        arrived = true;
        try {
            subtask = s.forkService("fork", () -> {
                ran = true;
                try {
                    Thread.sleep(Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    interrupted = true;
                    throw e;
                }
                return null;
            });
        } catch (IllegalStateException closed) {
            subtask = null;
        }
    }

    @Arbiter
    public void arbiter(L_Result r) {
        Subtask<Object> sub = subtask;
        if (sub == null) {
            r.r1 = stragglers == 0 ? "rejected" : "rejected, stragglers";
            return;
        }
        Subtask.State st = sub.state();
        if (st == Subtask.State.UNAVAILABLE) {
            Harness.awaitFinal(sub, Harness.WAIT_NANOS);
            r.r1 = stragglers > 0 || (ran && !interrupted) ? "missed" : "running-after-close";
        } else if (stragglers > 0 || (ran && !interrupted)) {
            r.r1 = "missed";
        } else if (st == Subtask.State.CANCELLED) {
            r.r1 = ran ? "interrupted" : "not-run";
        } else {
            r.r1 = st + (ran ? ", ran" : ", not run");
        }
    }
}
