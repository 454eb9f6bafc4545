package dev.quiesce.internal;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /** The two files {@link #writeJson} wrote: the JDK's thread dump and Quiesce's scope tree. */
    public record JsonDump(Path threads, Path tree) {}

    /**
     * Writes Quiesce's scope tree ({@link #treeJson()}) and then the JDK's JSON thread dump
     * ({@code HotSpotDiagnosticMXBean.dumpThreads}, the one dump that lists every virtual thread, unmounted ones
     * too: {@code jstack} and {@code Thread.print} omit them) to two new files in {@code dir}, named after the
     * process id and the time. The tree is taken first, so every thread id in it that is still alive (a parked
     * thread is) is in the dump.
     *
     * @throws IOException if a file cannot be written
     */
    public static JsonDump writeJson(Path dir) throws IOException {
        String stem = "quiesce-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
        Path tree = dir.resolve(stem + "-tree.json");
        Path threads = dir.resolve(stem + "-threads.json");
        Files.writeString(tree, treeJson(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .dumpThreads(threads.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
        return new JsonDump(threads, tree);
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
