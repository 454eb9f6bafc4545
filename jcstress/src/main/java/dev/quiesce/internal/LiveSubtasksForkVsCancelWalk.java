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
 * (d) {@link LiveSubtasks} directly: the first chunk (8 slots) is full; a fork adds a subtask (which
 * appends a second chunk) and then reads the cancel flag, and the 8 old subtasks end (their slots are
 * cleared, so the first chunk is retired and unlinked), while a cancellation sets the flag and walks the
 * list as {@code TreeCancellation.cancel} does (claimed pass, then unfinished pass). The new subtask is either
 * seen by the walk or sees the flag (Dekker); no subtask is interrupted twice.
 */
@JCStressTest
@Description("LiveSubtasks add (new chunk) + remove (chunk retired) vs the cancel walk: no subtask missed, "
        + "none interrupted twice")
@Outcome(id = "walk-interrupted", expect = ACCEPTABLE, desc = "the walk reached the new subtask; the fork saw no cancel")
@Outcome(id = "fork-saw-cancel", expect = ACCEPTABLE, desc = "the fork saw the cancel flag (would not start the thread)")
@Outcome(id = "both", expect = ACCEPTABLE_INTERESTING, desc = "the walk reached it and the fork saw the flag")
@Outcome(id = {"walk-interrupted, old after end", "fork-saw-cancel, old after end", "both, old after end"},
        expect = ACCEPTABLE_INTERESTING,
        desc = "as above; an old subtask was interrupted after it ended (the walk read its slot before it was "
                + "cleared; each still at most once)")
@Outcome(id = "missed", expect = FORBIDDEN, desc = "the walk missed the new subtask and the fork did not see the cancel")
@Outcome(expect = FORBIDDEN, desc = "a subtask was interrupted more than once")
@State
public class LiveSubtasksForkVsCancelWalk {
    private final LiveSubtasks live = new LiveSubtasks();
    private final SubtaskImpl<?>[] old = new SubtaskImpl<?>[LiveSubtasks.FIRST_CHUNK];
    private final SubtaskImpl<?> fresh = CountingThread.subtask();
    private volatile boolean cancelled;
    private boolean forkSawCancel;

    public LiveSubtasksForkVsCancelWalk() {
        for (int i = 0; i < old.length; i++) {
            old[i] = CountingThread.subtask();
            live.add(old[i]);
        }
    }

    @Actor
    public void forkAndEnd() {
        live.add(fresh);
        forkSawCancel = cancelled;
        for (SubtaskImpl<?> s : old) {
            CountingThread.of(s).ended = true;
            live.remove(s);
        }
    }

    @Actor
    public void cancel() {
        cancelled = true;
        live.interruptUnclaimed(1);
        live.interruptUnfinished(1);
    }

    @Arbiter
    public void arbiter(L_Result r) {
        int n = CountingThread.of(fresh).interrupts.get();
        int maxOld = 0;
        int afterEnd = 0;
        for (SubtaskImpl<?> s : old) {
            maxOld = Math.max(maxOld, CountingThread.of(s).interrupts.get());
            afterEnd += CountingThread.of(s).afterEnd.get();
        }
        String s;
        if (n > 1 || maxOld > 1) {
            s = "twice: new " + n + ", old max " + maxOld;
        } else if (n == 0 && !forkSawCancel) {
            s = "missed";
        } else {
            s = n == 1 ? (forkSawCancel ? "both" : "walk-interrupted") : "fork-saw-cancel";
            if (afterEnd > 0) {
                s += ", old after end";
            }
        }
        r.r1 = s;
    }
}
