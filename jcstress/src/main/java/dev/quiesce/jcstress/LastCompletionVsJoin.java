package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.DeadlineExceededException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (c) The last two subtasks complete (released by the other actor) while the owner enters {@code join()}:
 * the completion that takes the running count to zero must wake the owner. A lost wake-up cannot hang
 * the run: the scope has a 5 s deadline, so join() would then end with DeadlineExceededException, a
 * forbidden outcome. When join() returns normally, every subtask has completed and the running count is 0.
 */
@JCStressTest
@Description("the last completion vs join() parking: join() returns (no lost wake-up) and only after every subtask "
        + "completed")
@Outcome(id = "joined", expect = ACCEPTABLE, desc = "join() returned; both subtasks SUCCESS, running count 0")
@Outcome(id = "lost-wakeup", expect = FORBIDDEN,
        desc = "join() only woke at the scope's 5 s deadline: the last completion did not wake it")
@Outcome(expect = FORBIDDEN, desc = "join() returned with a subtask not completed or a non-zero running count")
@State
public class LastCompletionVsJoin {
    private final CountDownLatch release = new CountDownLatch(1);
    private String outcome;

    @Actor
    public void owner() {
        try (var s = (EngineScope<Object, Void>) Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("join").withTimeout(Duration.ofSeconds(5)).withCloseTimeout(Duration.ofSeconds(5)))) {
            Subtask<Object> a = s.fork(this::awaitRelease);
            Subtask<Object> b = s.fork(this::awaitRelease);
            try {
                s.join();
                int running = s.runningCount();
                outcome = a.state() == Subtask.State.SUCCESS && b.state() == Subtask.State.SUCCESS && running == 0
                        ? "joined"
                        : "returned early: " + a.state() + ", " + b.state() + ", running " + running;
            } catch (DeadlineExceededException e) {
                outcome = "lost-wakeup";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome = "owner interrupted";
            }
        }
    }

    @Actor
    public void releaser() {
        release.countDown();
    }

    private Object awaitRelease() throws InterruptedException {
        if (!release.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the releasing actor never ran");
        }
        return null;
    }

    @Arbiter
    public void arbiter(L_Result r) {
        r.r1 = outcome;
    }
}
