package dev.quiesce.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Shield;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (f) A scope is cancelled while its subtask is inside a {@link Shield} region that is about to end. The
 * canceller waits until the task is inside the region (so no interrupt predates it), then cancels. The
 * body is never interrupted; the interrupt is delivered exactly once: left pending and delivered by the
 * region's end, or delivered directly after it. The subtask runs in a platform thread whose
 * {@code interrupt()} counts its calls. A task that sees its scope cancelled after the region waits for
 * the interrupt (5 s at most), so a lost one shows as an outcome.
 */
@JCStressTest
@Description("the end of a Shield region vs cancel(): the body is not interrupted, the interrupt is delivered once")
@Outcome(id = "delivered-once", expect = ACCEPTABLE,
        desc = "one interrupt, seen by the task after the region (pending at the region's end, or direct)")
@Outcome(id = "after-task", expect = ACCEPTABLE_INTERESTING,
        desc = "the cancel came after the task's last check: one interrupt, or none once the subtask had ended")
@Outcome(id = "lost", expect = FORBIDDEN,
        desc = "the task saw its scope cancelled after the region but no interrupt came within 5 s")
@Outcome(id = "body-interrupted", expect = FORBIDDEN, desc = "the shielded body saw the interrupt")
@Outcome(expect = FORBIDDEN, desc = "the thread was interrupted more than once, or another inconsistency")
@State
public class ShieldEndVsCancel {
    /** A platform thread that counts calls of {@link #interrupt()}, whoever makes them. */
    static final class CountingThread extends Thread {
        final AtomicInteger interrupts = new AtomicInteger();

        CountingThread(Runnable r) {
            super(r);
        }

        @Override
        public void interrupt() {
            interrupts.incrementAndGet();
            super.interrupt();
        }
    }

    private volatile Scope<Object, Void> scope;
    private volatile boolean entered;
    private volatile CountingThread thread;
    private volatile boolean bodyInterrupted;
    private volatile boolean delivered;
    private volatile boolean sawCancelled;
    private volatile boolean lost;

    @Actor
    public void owner() {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("shield")
                .withCloseTimeout(Duration.ofSeconds(10))
                .withThreadFactory(r -> {
                    var t = new CountingThread(r);
                    thread = t;
                    return t;
                }))) {
            scope = s;
            s.fork(this::task);
            try {
                s.join();
            } catch (CancelledException expected) {
                // the canceller won before the task returned
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Object task() throws Exception {
        Shield.run(Duration.ofSeconds(30), () -> {
            entered = true;
            for (int i = 0; i < 100; i++) { // about as long as the canceller takes to react
                Thread.onSpinWait();
            }
            bodyInterrupted = Thread.currentThread().isInterrupted();
        });
        boolean cancelled = Scope.current().isCancelled();
        sawCancelled = cancelled;
        if (Thread.interrupted()) {
            delivered = true;
        } else if (cancelled) {
            try {
                Thread.sleep(Duration.ofSeconds(5));
                lost = true;
            } catch (InterruptedException e) {
                delivered = true;
            }
        }
        return null;
    }

    @Actor
    public void canceller() {
        Harness.awaitTrue(() -> entered, Harness.WAIT_NANOS);
        Harness.awaitValue(() -> scope, "the owner's scope").cancel(CancelReason.explicit("test"));
    }

    @Arbiter
    public void arbiter(L_Result r) {
        int n = thread.interrupts.get();
        if (bodyInterrupted) {
            r.r1 = "body-interrupted";
        } else if (lost) {
            r.r1 = "lost";
        } else if (n == 1 && delivered) {
            r.r1 = "delivered-once";
        } else if (n <= 1 && !delivered && !sawCancelled) {
            r.r1 = "after-task";
        } else {
            r.r1 = "interrupts=" + n + " delivered=" + delivered + " sawCancelled=" + sawCancelled;
        }
    }
}
