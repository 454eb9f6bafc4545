package dev.quiesce.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event for one shutdown phase, so a recording shows where shutdown time went. */
@Name("dev.quiesce.ShutdownPhase")
@Label("Shutdown Phase")
@Category({"Quiesce", "Shutdown"})
@Description("One phase of a Quiesce shutdown sequence")
@StackTrace(false)
public final class PhaseEvent extends Event {
    @Label("Phase")
    String phase;

    @Label("Note")
    String note;

    /** Loads and initialises the event class and JFR's event machinery ahead of need. */
    public static void warmUp() {
        PhaseEvent e = new PhaseEvent();
        e.begin();
        e.end();
        CancelEvent.start().end();
    }

    /** Starts timing a phase. */
    public static PhaseEvent start() {
        var e = new PhaseEvent();
        e.begin();
        return e;
    }

    /** Ends timing and commits, if enabled. */
    public void finish(String phase, String note) {
        end();
        if (shouldCommit()) {
            this.phase = phase;
            this.note = note;
            commit();
        }
    }
}
