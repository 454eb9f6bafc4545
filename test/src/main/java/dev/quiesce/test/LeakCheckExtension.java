package dev.quiesce.test;

import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import dev.quiesce.internal.LeakProbe;
import java.lang.reflect.AnnotatedElement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit 5 extension behind {@link QuiesceLeakCheck}; register it with that annotation rather than
 * directly. Before each test it notes the open root scopes and live threads and starts recording in-flight
 * tickets; after it, it fails the test with every scope, thread and ticket left behind. Thread-safe as JUnit
 * uses it (one test at a time per instance).
 */
public final class LeakCheckExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);
    private static final String SUBTASK_FRAME = "dev.quiesce.internal.SubtaskImpl.";
    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();

    /** Made by JUnit, for {@link QuiesceLeakCheck}. */
    public LeakCheckExtension() {}

    private record Baseline(Set<String> rootPaths, Set<Long> threads) {}

    @Override
    public void beforeEach(ExtensionContext context) {
        Set<String> roots = new HashSet<>();
        for (ScopeSnapshot s : Scope.snapshotAll()) {
            roots.add(s.path());
        }
        var baseline = new Baseline(roots, new HashSet<>(ThreadDumps.all().keySet()));
        LeakProbe.start();
        context.getStore(NS).put(Baseline.class, baseline);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Baseline baseline = context.getStore(NS).remove(Baseline.class, Baseline.class);
        if (baseline == null) {
            return; // beforeEach failed: JUnit reports that
        }
        QuiesceLeakCheck cfg = find(context);
        try {
            long settle = Duration.ofMillis(Math.max(0, cfg.settleMillis())).toNanos();
            long start = System.nanoTime();
            List<String> leaks = leaks(baseline, cfg.allowThreads());
            while (!leaks.isEmpty() && System.nanoTime() - start < settle) {
                LockSupport.parkNanos(this, POLL_NANOS); // a bounded poll: threads that are just ending
                leaks = leaks(baseline, cfg.allowThreads());
            }
            if (!leaks.isEmpty()) {
                throw new AssertionError(context.getDisplayName() + " leaked " + leaks.size()
                        + (leaks.size() == 1 ? " thing" : " things") + " (@QuiesceLeakCheck): close every scope and "
                        + "ticket it opens, and end every thread it starts, or name intended threads in "
                        + "@QuiesceLeakCheck(allowThreads = ...)\n" + String.join("\n", leaks));
            }
        } finally {
            LeakProbe.stop();
        }
    }

    private static QuiesceLeakCheck find(ExtensionContext context) {
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            Optional<AnnotatedElement> e = c.get().getElement();
            if (e.isPresent()) {
                QuiesceLeakCheck a = e.get().getAnnotation(QuiesceLeakCheck.class);
                if (a != null) {
                    return a;
                }
            }
        }
        return Defaults.class.getAnnotation(QuiesceLeakCheck.class);
    }

    @QuiesceLeakCheck
    private static final class Defaults {}

    /** Every leak now, described. */
    static List<String> leaks(Baseline baseline, String[] allowThreads) {
        List<String> out = new ArrayList<>();
        Map<Long, ThreadDumps.DumpedThread> threads = ThreadDumps.all();
        Map<Long, String> scopeOfThread = new HashMap<>();
        for (ScopeSnapshot root : Scope.snapshotAll()) {
            for (ScopeSnapshot s : root.flatten()) {
                for (ScopeSnapshot.SubtaskSnapshot t : s.subtasks()) {
                    scopeOfThread.put(t.threadId(), s.path());
                }
            }
            if (!baseline.rootPaths().contains(root.path())) {
                var sb = new StringBuilder("open scope ").append(root.path()).append(" (owner \"")
                        .append(root.owner()).append("\", ").append(root.state())
                        .append("): the test did not close it\n").append(root.toText().indent(4).stripTrailing());
                threads.values().stream().filter(t -> root.owner().equals(t.name() + " #" + t.tid()))
                        .findFirst().ifPresent(t -> appendStack(sb.append("\n    owner's stack:"), t.stack()));
                out.add(sb.toString());
            }
        }
        for (ThreadDumps.DumpedThread t : threads.values()) {
            if (baseline.threads().contains(t.tid()) || allowed(t.name(), allowThreads)) {
                continue;
            }
            boolean subtask = t.stack().stream().anyMatch(f -> f.startsWith(SUBTASK_FRAME));
            if (!subtask && !t.virtual()) {
                continue; // a platform thread the JDK or a library started lazily: not the test's
            }
            var sb = new StringBuilder(subtask ? "running subtask thread " : "virtual thread still alive ")
                    .append('#').append(t.tid()).append(" \"").append(t.name()).append('"');
            String path = scopeOfThread.get(t.tid());
            if (path != null) {
                sb.append(" of scope ").append(path);
            } else if (subtask) {
                sb.append(" (its scope has closed and abandoned it: a straggler)");
            }
            appendStack(sb.append(':'), t.stack());
            out.add(sb.toString());
        }
        for (LeakProbe.OpenTicket ticket : LeakProbe.openTickets()) {
            var sb = new StringBuilder("InFlightTracker ticket never released (").append(ticket.tracker())
                    .append("), entered by thread \"").append(ticket.thread()).append('"');
            if (!ticket.scopePath().isEmpty()) {
                sb.append(" in scope ").append(ticket.scopePath());
            }
            sb.append(" at:");
            List<String> frames = new ArrayList<>();
            for (StackTraceElement f : ticket.enteredAt()) {
                frames.add(f.toString());
            }
            appendStack(sb, frames);
            out.add(sb.toString());
        }
        return out;
    }

    private static boolean allowed(String name, String[] prefixes) {
        for (String p : prefixes) {
            if (!p.isEmpty() && name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static void appendStack(StringBuilder sb, List<String> frames) {
        for (String f : frames) {
            sb.append("\n        at ").append(f);
        }
    }
}
