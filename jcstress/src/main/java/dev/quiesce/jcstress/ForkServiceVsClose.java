package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

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
 * (a) A fork from a thread that is not the owner (the internal {@code forkService}, as the shutdown's root
 * scope and the HTTP adapter use it) races with the owner's {@code close()} of a scope that has no
 * subtask yet. Once {@code close()} has returned no thread of the scope may run, and a subtask that
 * {@code forkService} returned is either run (before close returned) or marked not run.
 */
@JCStressTest
@Description("forkService() from a non-owner thread vs the owner's close(): no task runs after close() returned, "
        + "no subtask is lost")
@Outcome(id = "rejected", expect = ACCEPTABLE, desc = "fork saw the scope closed and threw IllegalStateException")
@Outcome(id = "ran-before-close", expect = ACCEPTABLE_INTERESTING,
        desc = "fork won: close() waited for the task, which ran before close() returned")
@Outcome(id = "not-run", expect = ACCEPTABLE_INTERESTING,
        desc = "close() cancelled the scope: the subtask was marked CANCELLED and never ran")
@Outcome(id = "ran-after-close", expect = FORBIDDEN,
        desc = "the task ran after close() had returned: a thread was started in a closed scope")
@Outcome(id = "running-after-close", expect = FORBIDDEN,
        desc = "after close() returned the subtask was still UNAVAILABLE: its thread was started (or left) "
                + "in a closed scope, and close() did not wait for it")
@Outcome(expect = FORBIDDEN, desc = "any other combination of subtask state and task run")
@State
public class ForkServiceVsClose {
    private volatile EngineScope<Object, Void> scope;
    private volatile boolean arrived;
    private volatile boolean closeReturned;
    private volatile boolean ran;
    private volatile boolean ranAfterClose;
    private Subtask<Object> subtask;

    @Actor
    public void owner() {
        var s = (EngineScope<Object, Void>) Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("close").withCloseTimeout(Duration.ofSeconds(5)));
        scope = s;
        Harness.awaitTrue(() -> arrived, Harness.WAIT_NANOS); // start line: both race from here
        s.close();
        closeReturned = true;
    }

    @Actor
    public void forker() {
        EngineScope<Object, Void> s = Harness.awaitValue(() -> scope, "the owner's scope");
        arrived = true;
        try {
            subtask = s.forkService("fork", () -> {
                ranAfterClose = closeReturned;
                ran = true;
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
            r.r1 = "rejected";
            return;
        }
        Subtask.State st = sub.state();
        if (st == Subtask.State.UNAVAILABLE) {
            Harness.awaitFinal(sub, Harness.WAIT_NANOS); // let the stray thread end before the next sample
            r.r1 = "running-after-close";
        } else if (st == Subtask.State.SUCCESS && ran) {
            r.r1 = ranAfterClose ? "ran-after-close" : "ran-before-close";
        } else if (st == Subtask.State.CANCELLED && !ran) {
            r.r1 = "not-run";
        } else {
            r.r1 = st + (ran ? ", ran" : ", not run");
        }
    }
}
