package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event for one scope's cancellation: who, why, how many threads it interrupted, how long it took. */
@Name("dev.quiesce.ScopeCancelled")
@Label("Scope Cancelled")
@Category({"Quiesce", "Scope"})
@Description("A Quiesce scope was cancelled; the duration is the time spent interrupting its threads and children")
@StackTrace(false)
final class CancelEvent extends Event {
    @Label("Scope Path")
    String path;

    @Label("Reason")
    String reason;

    @Label("Subtasks Interrupted")
    int interrupted;

    @Label("Child Scopes Cancelled")
    int children;

    /**
     * Initialises the event class and links what {@link #finish} calls, without committing an event, so
     * that the first cancellation of the JVM does not pay for it (see TreeCancellation's warm-up).
     */
    static void warmUp() {
        var e = start();
        e.end();
        if (e.shouldCommit() && CancelReason.explicit("warm-up").describe().isEmpty()) {
            throw new AssertionError("a reason describes itself as empty");
        }
    }

    /** Starts timing a cancellation. */
    static CancelEvent start() {
        var e = new CancelEvent();
        e.begin();
        return e;
    }

    /** Ends timing and commits, if the event is enabled. */
    void finish(String path, CancelReason reason, int interrupted, int children) {
        end();
        if (shouldCommit()) {
            this.path = path;
            this.reason = reason.describe();
            this.interrupted = interrupted;
            this.children = children;
            commit();
        }
    }
}
