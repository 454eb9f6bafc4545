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
 * (d) Two walks of one cancellation over {@link LiveSubtasks}, as in {@code TreeCancellation}: the canceller
 * (claimed pass, then the pass over unfinished chunks) and the owner helping ({@code TreeCancellation.help}: a claimed
 * pass), while the 8 subtasks of the first chunk end and are removed, which retires and unlinks that chunk
 * under the walkers. 12 subtasks in two chunks; the 4 in the second chunk never end: each must be
 * interrupted exactly once, and no subtask more than once.
 */
@JCStressTest
@Description("canceller walk vs helping owner walk vs chunk retirement: every live subtask interrupted exactly once")
@Outcome(id = "once", expect = ACCEPTABLE, desc = "each live subtask interrupted once; no ended one after its end")
@Outcome(id = "once, ended after end", expect = ACCEPTABLE_INTERESTING,
        desc = "as above; a subtask was interrupted after it ended (its slot was read before it was cleared)")
@Outcome(expect = FORBIDDEN, desc = "a live subtask missed, or a subtask interrupted more than once")
@State
public class LiveSubtasksHelperVsCanceller {
    private final LiveSubtasks live = new LiveSubtasks();
    private final SubtaskImpl<?>[] ending = new SubtaskImpl<?>[LiveSubtasks.FIRST_CHUNK];
    private final SubtaskImpl<?>[] staying = new SubtaskImpl<?>[4];

    public LiveSubtasksHelperVsCanceller() {
        for (int i = 0; i < ending.length; i++) {
            ending[i] = CountingThread.subtask();
            live.add(ending[i]);
        }
        for (int i = 0; i < staying.length; i++) {
            staying[i] = CountingThread.subtask();
            live.add(staying[i]);
        }
    }

    @Actor
    public void canceller() {
        live.interruptUnclaimed(1);
        live.interruptUnfinished(1);
    }

    @Actor
    public void endingAndHelper() {
        for (SubtaskImpl<?> s : ending) {
            CountingThread.of(s).ended = true;
            live.remove(s);
        }
        live.interruptUnclaimed(1);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < staying.length; i++) {
            int n = CountingThread.of(staying[i]).interrupts.get();
            if (n != 1) {
                bad.append(" live#").append(i).append('=').append(n);
            }
        }
        int afterEnd = 0;
        for (int i = 0; i < ending.length; i++) {
            int n = CountingThread.of(ending[i]).interrupts.get();
            if (n > 1) {
                bad.append(" ended#").append(i).append('=').append(n);
            }
            afterEnd += CountingThread.of(ending[i]).afterEnd.get();
        }
        r.r1 = bad.length() > 0 ? "interrupts:" + bad : afterEnd > 0 ? "once, ended after end" : "once";
    }
}
