package dev.quiesce.internal;

import dev.quiesce.Straggler;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The subtask threads of a scope that are still alive, as {@link Straggler} records (thread, scope path,
 * stack, time since interrupt): what a bounded close abandons (DESIGN.md, scope engine point 8) and what the
 * shutdown's abandon phase reports for a whole tree. Static and stateless.
 */
final class Stragglers {

    private Stragglers() {}

    /** Adds the live subtask threads of {@code scope} alone to {@code out}; {@code now} in nanoTime terms. */
    static void ofScope(ScopeImpl<?, ?> scope, List<Straggler> out, long now) {
        String path = scope.path();
        scope.live.forEach(s -> {
            Straggler st = of(s, path, now);
            if (st != null) {
                out.add(st);
            }
        });
    }

    /** Adds the live subtask threads of {@code scope} and of all its descendants to {@code out}. */
    static void ofTree(ScopeImpl<?, ?> scope, List<Straggler> out, long now) {
        ofScope(scope, out, now);
        for (ScopeImpl<?, ?> c : scope.children) {
            ofTree(c, out, now);
        }
    }

    private static Straggler of(SubtaskImpl<?> s, String path, long now) {
        Thread t = s.thread;
        if (t == null || !t.isAlive()) {
            return null;
        }
        long at = s.interruptedAtNanos();
        return new Straggler(
                t.getName(),
                t.threadId(),
                t.isVirtual(),
                path,
                Arrays.asList(t.getStackTrace()),
                at == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(now - at)));
    }
}
