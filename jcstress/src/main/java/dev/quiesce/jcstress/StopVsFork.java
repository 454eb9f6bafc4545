package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (e) {@code requestStop()} on a root scope from another thread races with its owner opening a child scope
 * and forking into both. A task forked after {@code requestStop()} returned (the owner read the flag the
 * stopper sets after it returns) must see {@code Scope.stopRequested()}, in the root and in the child;
 * a fork concurrent with the stop may see either.
 */
@JCStressTest
@Description("requestStop() vs open child + fork: a subtask forked after requestStop() returned sees the stop, "
        + "in the scope and in a child opened concurrently")
@Outcome(id = "after-stop: root=true child=true", expect = ACCEPTABLE,
        desc = "forked after requestStop() returned: both tasks see the stop")
@Outcome(id = {"concurrent: root=false child=false", "concurrent: root=true child=true",
        "concurrent: root=false child=true", "concurrent: root=true child=false"}, expect = ACCEPTABLE_INTERESTING,
        desc = "forked before requestStop() returned: either value is allowed")
@Outcome(expect = FORBIDDEN, desc = "a task forked after requestStop() returned saw stopRequested() == false")
@State
public class StopVsFork {
    private volatile Scope<Object, Void> root;
    private volatile boolean stopReturned;
    private volatile boolean arrived;
    private String outcome;

    @Actor
    public void owner() {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("stop").withCloseTimeout(Duration.ofSeconds(5)))) {
            root = s;
            Harness.awaitTrue(() -> arrived, Harness.WAIT_NANOS); // start line: both race from here
            try (var child = Scope.open(Joiner.<Boolean>awaitAll(), cfg -> cfg.withName("child"))) {
                Callable<Boolean> readStop = Scope::stopRequested;
                boolean after = stopReturned;
                Subtask<Boolean> inRoot = s.fork(readStop);
                Subtask<Boolean> inChild = child.fork(readStop);
                try {
                    child.join();
                    s.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                outcome = (after ? "after-stop" : "concurrent") + ": root=" + value(inRoot) + " child=" + value(inChild);
            }
        }
    }

    @Actor
    public void stopper() {
        Scope<Object, Void> s = Harness.awaitValue(() -> root, "the owner's scope");
        arrived = true;
        s.requestStop();
        stopReturned = true;
    }

    private static String value(Subtask<Boolean> s) {
        return s.state() == Subtask.State.SUCCESS ? String.valueOf(s.get()) : s.state().toString();
    }

    @Arbiter
    public void arbiter(L_Result r) {
        r.r1 = outcome;
    }
}
