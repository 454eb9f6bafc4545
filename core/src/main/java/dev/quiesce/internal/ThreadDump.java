package dev.quiesce.internal;

import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import java.util.List;
import java.util.Map;

/** A thread dump for the moments a shutdown gives up: platform thread stacks and the live scope tree. */
public final class ThreadDump {
    private ThreadDump() {}

    /** The dump as text. */
    public static String capture(String why) {
        var sb = new StringBuilder("quiesce thread dump (").append(why).append(")\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            sb.append('"').append(t.getName()).append("\" #").append(t.threadId())
                    .append(t.isDaemon() ? " daemon" : "").append(' ').append(t.getState()).append('\n');
            for (StackTraceElement f : e.getValue()) {
                sb.append("    at ").append(f).append('\n');
            }
        }
        sb.append("scope tree (virtual threads are listed under their scopes):\n");
        for (ScopeSnapshot s : Scope.snapshotAll()) {
            sb.append(s.toText().indent(2));
        }
        return sb.toString();
    }

    /** Every root scope's live tree, as one JSON object: {@code {"scopes":[...]}}, children nested. */
    public static String treeJson() {
        var sb = new StringBuilder("{\"scopes\":[");
        List<ScopeSnapshot> roots = Scope.snapshotAll();
        for (int i = 0; i < roots.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(roots.get(i).toJson());
        }
        return sb.append("]}").toString();
    }
}
