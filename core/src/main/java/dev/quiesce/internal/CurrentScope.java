package dev.quiesce.internal;

import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import dev.quiesce.StructureViolationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which scope a thread runs in, and the registry of open root scopes: the lookup behind
 * {@link Scope#current()}, the per-thread binding of the scopes a thread owns, and {@link #snapshotRoots()}.
 *
 * <p>The innermost scope a thread owns is kept in a thread local; the scopes it opened before are reached
 * through each scope's enclosing one, so closing a scope rebinds the one it was opened in. A subtask thread
 * that owns no scope finds its scope through {@link SubtaskImpl#current()} and never touches the thread
 * local, so that most subtask threads never get a thread-local map. The binding is also where nesting is
 * enforced: a scope closed before the scopes opened inside it, or left open by a task, is closed here.
 * Thread-safe; not part of the API.
 */
public final class CurrentScope {

    private static final Logger LOG = LoggerFactory.getLogger(Scope.class);
    private static final ThreadLocal<ScopeImpl<?, ?>> OWNED = new ThreadLocal<>();
    private static final Set<ScopeImpl<?, ?>> ROOTS = ConcurrentHashMap.newKeySet();
    private static final AtomicLong ROOT_SEQ = new AtomicLong();

    private CurrentScope() {}

    /** The scope the current thread runs in, or {@code null}; see {@link Scope#current()}. */
    public static Scope<?, ?> currentOrNull() {
        return find();
    }

    /** Throws if the scope the current thread runs in is cancelled; see {@link Scope#throwIfCancelled()}. */
    public static void throwIfCancelled() {
        ScopeImpl<?, ?> s = find();
        if (s != null) {
            s.throwIfCancelledNow();
        }
    }

    /** Snapshots of the open root scopes. */
    public static List<ScopeSnapshot> snapshotRoots() {
        List<ScopeSnapshot> out = new ArrayList<>();
        for (ScopeImpl<?, ?> r : ROOTS) {
            out.add(r.snapshot());
        }
        return List.copyOf(out);
    }

    /** The live subtask threads of every open root scope's tree: for {@link ManualClock} to see them settle. */
    static List<Thread> liveSubtaskThreads() {
        List<Thread> out = new ArrayList<>();
        for (ScopeImpl<?, ?> r : ROOTS) {
            addLiveThreads(r, out);
        }
        return out;
    }

    private static void addLiveThreads(ScopeImpl<?, ?> scope, List<Thread> out) {
        scope.live.forEach(s -> {
            Thread t = s.thread;
            if (t != null && t.isAlive()) {
                out.add(t);
            }
        });
        for (ScopeImpl<?, ?> c : scope.children) {
            addLiveThreads(c, out);
        }
    }

    /** The scope the current thread runs in, or {@code null}: the innermost it owns, else its subtask's. */
    static ScopeImpl<?, ?> find() {
        SubtaskImpl<?> s = SubtaskImpl.current();
        ScopeImpl<?, ?> top = ownedTop(s);
        if (top != null) {
            return top;
        }
        return s == null ? null : s.scope;
    }

    /** The innermost scope the current thread owns, or {@code null}; {@code mySubtask} is the subtask it runs. */
    static ScopeImpl<?, ?> ownedTop(SubtaskImpl<?> mySubtask) {
        // A subtask thread that has opened no scope never reads the thread local (which would create
        // a thread-local map for it).
        if (mySubtask != null && mySubtask.openedScopes == 0) {
            return null;
        }
        return OWNED.get();
    }

    /** The number in the default name of the next root scope. */
    static long nextRootNumber() {
        return ROOT_SEQ.incrementAndGet();
    }

    /** The current thread opened {@code scope} while running {@code mySubtask} (or none): it owns it now. */
    static void bind(ScopeImpl<?, ?> scope, SubtaskImpl<?> mySubtask) {
        OWNED.set(scope);
        if (mySubtask != null) {
            mySubtask.openedScopes++;
        }
    }

    /**
     * The current thread closed {@code scope}, which it opened inside {@code enclosing} (or none) while
     * running {@code ownerSubtask} (or none): the enclosing scope is its innermost again.
     */
    static void unbind(ScopeImpl<?, ?> scope, ScopeImpl<?, ?> enclosing, SubtaskImpl<?> ownerSubtask) {
        if (OWNED.get() == scope) {
            if (enclosing == null) {
                OWNED.remove();
            } else {
                OWNED.set(enclosing);
            }
        }
        if (ownerSubtask != null) {
            ownerSubtask.openedScopes--;
        }
    }

    /**
     * {@code scope} is being closed by its owner: if scopes the owner opened inside it are still open, closes
     * them, innermost first, and returns the violation to throw once {@code scope} is closed too; else
     * {@code null}.
     */
    static StructureViolationException closeInner(ScopeImpl<?, ?> scope) {
        SubtaskImpl<?> mySubtask = SubtaskImpl.current();
        ScopeImpl<?, ?> top = ownedTop(mySubtask);
        if (top == scope || top == null || !isEnclosedBy(top, scope)) {
            return null;
        }
        var violation = new StructureViolationException("scope " + scope.path() + " closed while scope " + top.path()
                + ", opened inside it by the same thread, is still open: close the innermost scope first "
                + "(use nested try-with-resources); the inner scopes were closed now");
        while ((top = ownedTop(mySubtask)) != scope && top != null) {
            try {
                top.closeInternal();
            } catch (Throwable t) {
                violation.addSuppressed(t);
            }
        }
        return violation;
    }

    /**
     * A task returned while scopes it opened are still open (it did not use try-with-resources): closes
     * them, innermost first, so their threads do not outlive the task, and records the violation as a
     * failure of the task's scope, so it is not silent.
     */
    static void closeLeakedScopes(SubtaskImpl<?> subtask) {
        ScopeImpl<?, ?> top;
        while (subtask.openedScopes > 0 && (top = ownedTop(subtask)) != null && top.ownerSubtask == subtask) {
            var violation = new StructureViolationException("a task of " + subtask.scope.path()
                    + " returned while scope " + top.path() + ", which it opened, was still open: close every "
                    + "scope you open before returning (try-with-resources); Quiesce closed it");
            LOG.warn("{}", violation.getMessage());
            try {
                top.closeInternal();
            } catch (Throwable t) {
                violation.addSuppressed(t);
            }
            subtask.scope.recordFailure(violation);
        }
    }

    private static boolean isEnclosedBy(ScopeImpl<?, ?> inner, ScopeImpl<?, ?> outer) {
        for (ScopeImpl<?, ?> s = inner.enclosing; s != null; s = s.enclosing) {
            if (s == outer) {
                return true;
            }
        }
        return false;
    }

    /** Registers an open root scope, for {@link #snapshotRoots()}. */
    static void addRoot(ScopeImpl<?, ?> root) {
        ROOTS.add(root);
    }

    /** Removes a root scope that has closed. */
    static void removeRoot(ScopeImpl<?, ?> root) {
        ROOTS.remove(root);
    }
}
