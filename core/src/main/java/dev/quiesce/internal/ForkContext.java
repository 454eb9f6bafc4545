package dev.quiesce.internal;

import dev.quiesce.ContextPropagator;
import dev.quiesce.ScopeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What a scope's forks carry to their threads: the scope's effective {@link ContextPropagator}s and
 * ScopedValue keys, its parent's (or the defaults, for a root) changed by its {@link ScopeConfig}. Immutable.
 *
 * <p>The fork path: {@link #capture} on the forking thread returns {@code null}, without allocating, when no
 * propagator captured anything and no key is bound; the subtask then runs its task directly.
 * Otherwise it returns one slot per propagator plus, last, the ScopedValue bindings, and {@link #call}
 * restores them around the task on the subtask's thread.
 */
final class ForkContext {

    /** A root scope's: the MDC propagator, no scoped values. */
    static final ForkContext DEFAULT = new ForkContext(new ContextPropagator[] {MdcPropagator.INSTANCE}, new Object[0]);

    private final ContextPropagator[] propagators;
    private final Object[] scopedKeys;

    private ForkContext(ContextPropagator[] propagators, Object[] scopedKeys) {
        this.propagators = propagators;
        this.scopedKeys = scopedKeys;
    }

    /** The context of a scope configured with {@code cfg} whose parent's (or the default) is {@code inherited}. */
    static ForkContext of(ScopeConfig cfg, ForkContext inherited) {
        List<ContextPropagator> added = cfg.propagatorsAdded();
        List<ContextPropagator> removed = cfg.propagatorsRemoved();
        List<Object> keys = cfg.scopedValues();
        if (added.isEmpty() && removed.isEmpty() && keys.isEmpty()) {
            return inherited;
        }
        List<ContextPropagator> ps = new ArrayList<>(List.of(inherited.propagators));
        for (ContextPropagator p : added) {
            if (!ps.contains(p)) {
                ps.add(p);
            }
        }
        ps.removeAll(removed);
        List<Object> ks = new ArrayList<>(List.of(inherited.scopedKeys));
        for (Object k : keys) {
            if (!ks.contains(k)) {
                ks.add(k);
            }
        }
        return new ForkContext(ps.toArray(new ContextPropagator[0]), ks.toArray());
    }

    /**
     * Captures on the forking thread; {@code null} if there is nothing to carry.
     *
     * @throws IllegalStateException if a propagator's capture throws, naming it and the scope
     */
    Object[] capture(String path) {
        Object[] out = null;
        int n = propagators.length;
        for (int i = 0; i < n; i++) {
            ContextPropagator p = propagators[i];
            Object c;
            try {
                c = p.capture();
            } catch (RuntimeException | Error e) {
                throw new IllegalStateException("context propagator " + p.name() + " threw in capture() on a fork "
                        + "into scope " + path + ", so the subtask was not created: fix the propagator, or remove it "
                        + "from the scope with cfg.withoutPropagator(..)", e);
            }
            if (c != null) {
                if (out == null) {
                    out = new Object[n + 1];
                }
                out[i] = c;
            }
        }
        if (scopedKeys.length > 0) {
            Object[] bound = ScopedValues.capture(scopedKeys);
            if (bound != null) {
                if (out == null) {
                    out = new Object[n + 1];
                }
                out[n] = bound;
            }
        }
        return out;
    }

    /** Runs {@code task} on the subtask's thread with {@code captured} (from {@link #capture}) restored. */
    <V> V call(Object[] captured, Callable<V> task, String path) throws Exception {
        return call(captured, task, false, path);
    }

    /**
     * As {@link #call(Object[], Callable, String)}, for a task that is a {@code Runnable} if {@code runnable}
     * (see {@link SubtaskImpl#invoke}), else a {@code Callable}.
     */
    <V> V call(Object[] captured, Object task, boolean runnable, String path) throws Exception {
        Object bound = captured[propagators.length];
        if (bound != null) {
            return ScopedValues.call((Object[]) bound, new Restoring<V>(this, captured, task, runnable, path));
        }
        return restoreAndCall(captured, task, runnable, path);
    }

    private <V> V restoreAndCall(Object[] captured, Object task, boolean runnable, String path) throws Exception {
        int restored = 0;
        V result;
        try {
            for (; restored < propagators.length; restored++) {
                Object c = captured[restored];
                if (c != null) {
                    restore(propagators[restored], c, path);
                }
            }
            result = SubtaskImpl.invoke(task, runnable);
        } catch (Throwable t) {
            clearAll(captured, restored, t, path);
            throw t;
        }
        clearAll(captured, restored, null, path);
        return result;
    }

    private static void restore(ContextPropagator p, Object c, String path) {
        try {
            p.restore(c);
        } catch (RuntimeException | Error e) {
            throw new IllegalStateException("context propagator " + p.name() + " threw in restore() in a subtask of "
                    + "scope " + path + ", so the task did not run: fix the propagator, or remove it from the scope "
                    + "with cfg.withoutPropagator(..)", e);
        }
    }

    /** Clears the first {@code count} propagators in reverse; a failure is added to {@code failed} or thrown. */
    private void clearAll(Object[] captured, int count, Throwable failed, String path) {
        IllegalStateException first = null;
        for (int i = count - 1; i >= 0; i--) {
            Object c = captured[i];
            if (c == null) {
                continue;
            }
            ContextPropagator p = propagators[i];
            try {
                p.clear(c);
            } catch (RuntimeException | Error e) {
                var ise = new IllegalStateException("context propagator " + p.name() + " threw in clear() after a "
                        + "task of scope " + path + " ended: fix the propagator, or remove it from the scope with "
                        + "cfg.withoutPropagator(..)", e);
                if (failed != null) {
                    failed.addSuppressed(ise);
                } else if (first == null) {
                    first = ise;
                } else {
                    first.addSuppressed(ise);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The propagators' part of {@link #call}, run inside the ScopedValue bindings. */
    private static final class Restoring<V> implements Callable<V> {
        private final ForkContext context;
        private final Object[] captured;
        private final Object task;
        private final boolean runnable;
        private final String path;

        Restoring(ForkContext context, Object[] captured, Object task, boolean runnable, String path) {
            this.context = context;
            this.captured = captured;
            this.task = task;
            this.runnable = runnable;
            this.path = path;
        }

        @Override
        public V call() throws Exception {
            return context.restoreAndCall(captured, task, runnable, path);
        }
    }
}
