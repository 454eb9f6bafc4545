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
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * (issue 16) The fan-out's claims inside one chunk: a helping owner ({@code TreeCancellation.help}: claims runs of
 * {@link LiveSubtasks#CLAIM} slots from the chunk's shared cursor) vs the canceller's sweep
 * ({@code TreeCancellation.sweep}: the same claims, then the pass over runs whose claimer has not finished).
 * One chunk of three runs; every subtask must be interrupted exactly once, whoever claimed its run, and none
 * skipped. The subtasks share one counting thread: each is interrupted at most once by its own state, so the
 * total count and every subtask's cancel-requested state together say "exactly once each".
 */
@JCStressTest
@Description("claimed run of a chunk (helper) vs the canceller's sweep: every subtask interrupted once, none skipped")
@Outcome(id = "once, shared", expect = ACCEPTABLE_INTERESTING, desc = "both walkers interrupted part of the chunk")
@Outcome(id = "once, canceller alone", expect = ACCEPTABLE, desc = "the canceller claimed every run")
@Outcome(id = "once, helper alone", expect = ACCEPTABLE, desc = "the helper claimed every run before the canceller")
@Outcome(expect = FORBIDDEN, desc = "a subtask skipped, or interrupted more than once")
@State
public class LiveSubtasksClaimRunVsSweep {
    private static final int SIZE = 3 * LiveSubtasks.CLAIM;

    private final LiveSubtasks live = new LiveSubtasks(SIZE);
    private final CountingThread thread = new CountingThread();
    private final SubtaskImpl<?>[] subtasks = new SubtaskImpl<?>[SIZE];
    private int byCanceller;
    private int byHelper;

    public LiveSubtasksClaimRunVsSweep() {
        for (int i = 0; i < SIZE; i++) {
            var s = new SubtaskImpl<Object>(null, () -> null, null);
            s.bind(thread);
            subtasks[i] = s;
            live.add(s);
        }
    }

    @Actor
    public void canceller() {
        byCanceller = live.interruptUnclaimed(1) + live.interruptUnfinished(1);
    }

    @Actor
    public void helper() {
        byHelper = live.interruptUnclaimed(1);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        int interrupts = thread.interrupts.get();
        int skipped = 0;
        for (SubtaskImpl<?> s : subtasks) {
            if (s.interruptForCancel(1)) { // not requested yet: the walks skipped it (this counts one more)
                skipped++;
            }
        }
        if (skipped > 0 || interrupts != SIZE || byCanceller + byHelper != SIZE) {
            r.r1 = "skipped " + skipped + ", interrupts " + interrupts + ", counted " + byCanceller + "+" + byHelper;
        } else {
            r.r1 = byHelper == 0 ? "once, canceller alone" : byCanceller == 0 ? "once, helper alone" : "once, shared";
        }
    }
}
