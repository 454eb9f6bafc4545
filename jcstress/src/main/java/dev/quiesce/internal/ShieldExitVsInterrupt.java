package dev.quiesce.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * (f) The interrupt protocol of {@link SubtaskImpl} directly: the subtask's thread enters and leaves a
 * shield region twice (as {@code ShieldRegion} does for two regions in a row) while a canceller calls
 * {@code interruptForCancel}. The cancellation reaches the thread exactly once: either a direct
 * interrupt (outside the regions) or left pending and reported by the {@code exitShield} that ends the
 * region it landed in (whose caller then interrupts the thread itself).
 * Result: direct interrupts, pending deliveries, interruptForCancel's result.
 */
@JCStressTest
@Description("exitShield() vs interruptForCancel(): the cancellation is delivered exactly once")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the cancel landed outside the regions: one direct interrupt")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "the cancel landed inside a region: left pending, delivered once at that region's end")
@Outcome(id = "0, 0, 1", expect = FORBIDDEN, desc = "lost: the cancel was accepted but never delivered")
@Outcome(expect = FORBIDDEN, desc = "delivered twice, or interruptForCancel() refused the first cancellation")
@State
public class ShieldExitVsInterrupt {
    private final SubtaskImpl<?> subtask = CountingThread.subtask();
    private int pending;
    private boolean accepted;

    @Actor
    public void subtaskThread() {
        subtask.enterShield();
        if (subtask.exitShield()) {
            pending++;
        }
        subtask.enterShield();
        if (subtask.exitShield()) {
            pending++;
        }
    }

    @Actor
    public void canceller() {
        accepted = subtask.interruptForCancel(1);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r1 = CountingThread.of(subtask).interrupts.get();
        r.r2 = pending;
        r.r3 = accepted ? 1 : 0;
    }
}
