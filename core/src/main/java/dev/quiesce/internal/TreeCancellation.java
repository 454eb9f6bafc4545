package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.FailedException;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cancellation of a scope and its descendants (DESIGN.md, scope engine points 4 and 11): the walk that
 * marks the subtree cancelled and then interrupts every running subtask thread in it from the cancelling
 * thread, so that a cancellation never waits for a virtual thread to be scheduled, and the owners' help with
 * those interrupts. What one scope does when it is cancelled (reason, callbacks, timer, waking its owner) is
 * {@link ScopeImpl#markCancelled}; the interrupts of one scope's subtasks are {@link LiveSubtasks}'s.
 *
 * <p>Static and stateless: one list of the cancelled scopes per cancellation, nothing per interrupted thread.
 */
final class TreeCancellation {

    private static final Logger LOG = LoggerFactory.getLogger(Scope.class);

    private TreeCancellation() {}

    /**
     * Cancels {@code scope} for {@code why} unless it is cancelled already, then its subtree for
     * {@link CancelReason.ParentCancelled}; returns whether this call cancelled it.
     */
    static boolean cancel(ScopeImpl<?, ?> scope, CancelReason why) {
        CancelEvent event = CancelEvent.start();
        if (!scope.markCancelled(why)) {
            return false;
        }
        List<ScopeImpl<?, ?>> cancelled = markSubtree(scope);
        int interrupted = sweep(cancelled);
        event.finish(scope.path(), why, interrupted, cancelled.size() - 1);
        if (LOG.isDebugEnabled()) {
            LOG.debug("cancelled {} ({}): interrupted {} subtasks, cancelled {} child scopes",
                    scope.path(), why.describe(), interrupted, cancelled.size() - 1);
        }
        return true;
    }

    /**
     * Marks the subtree of {@code scope}, which the caller has just marked cancelled: every scope under it is
     * cancelled (reason, callbacks, waiting owner unparked) for {@link CancelReason.ParentCancelled}, so that a
     * child scope is cancelled for our reason before its owner, usually one of our subtasks, is interrupted and
     * would cancel it for another; the woken owners start helping at once.
     *
     * @return the scopes this cancellation cancelled, breadth first from {@code scope}
     */
    static List<ScopeImpl<?, ?>> markSubtree(ScopeImpl<?, ?> scope) {
        List<ScopeImpl<?, ?>> cancelled = new ArrayList<>();
        cancelled.add(scope);
        for (int i = 0; i < cancelled.size(); i++) { // breadth first: owners of inner scopes early
            ScopeImpl<?, ?> s = cancelled.get(i);
            for (ScopeImpl<?, ?> child : s.children) {
                if (child.markCancelled(new CancelReason.ParentCancelled(s.path(), s.reason))) {
                    cancelled.add(child);
                }
            }
        }
        for (ScopeImpl<?, ?> s : cancelled) {
            s.subtreeMarked = true; // helpers may start: the children of s are cancelled for s's reason
        }
        return cancelled;
    }

    /**
     * The canceller's part, after {@link #markSubtree}: interrupts from this thread every subtask thread of the
     * {@code cancelled} scopes that no helping owner has claimed, from the last scope back (the woken owners
     * start at the front of their subtrees, so the two meet late), then a second pass covers claims whose walker
     * has not finished, so nothing waits for a helper to be scheduled (DESIGN.md, scope engine point 11).
     *
     * @return the number of subtasks this thread interrupted
     */
    static int sweep(List<ScopeImpl<?, ?>> cancelled) {
        int interrupted = 0;
        for (int i = cancelled.size() - 1; i >= 0; i--) {
            ScopeImpl<?, ?> s = cancelled.get(i);
            interrupted += s.live.interruptUnclaimed(s.cancelNanos);
        }
        for (ScopeImpl<?, ?> s : cancelled) {
            interrupted += s.live.interruptUnfinished(s.cancelNanos);
        }
        return interrupted;
    }

    /**
     * Called by the owner of {@code scope} once it has seen its scope cancelled, before it waits: interrupts,
     * alongside the canceller, whatever part of its subtree nobody has claimed yet, taking runs of slots from the
     * same cursors the canceller takes them from ({@link LiveSubtasks#interruptUnclaimed}). With nested scopes the
     * wake-ups are then spread over the owners' carriers instead of all coming from one thread. Only an
     * optimisation: the canceller claims whatever the owners do not take, and finishes what they leave half done.
     *
     * @return the number of subtasks this call interrupted
     */
    static int help(ScopeImpl<?, ?> scope) {
        int interrupted = 0;
        List<ScopeImpl<?, ?>> todo = new ArrayList<>();
        todo.add(scope);
        for (int i = 0; i < todo.size(); i++) {
            ScopeImpl<?, ?> s = todo.get(i);
            if (s.subtreeMarked) { // else its canceller is still marking: interrupting now could reach an
                                   // owner whose scope is not cancelled yet
                interrupted += s.live.interruptUnclaimed(s.cancelNanos);
                todo.addAll(s.children);
            }
        }
        return interrupted;
    }

    /**
     * Loads and initialises now, with the first scope, what the first cancellation of the JVM would
     * otherwise load on the cancel path: above all the JFR event class (measured: about 140 ms of class
     * loading on the first cancel), then the reasons and exceptions a cancelled join() reports, and
     * what reports a close that gives up. A plain
     * scope's first cancel then costs what a later one does, as after the shutdown's preload.
     */
    static void warmUp() {
        CancelEvent.warmUp();
        // the iterators cancel() walks children and callbacks with, and a cancelled join() its failures with
        if (ConcurrentHashMap.newKeySet().iterator().hasNext() || new ConcurrentLinkedQueue<>().iterator().hasNext()) {
            throw new AssertionError("a new collection is not empty");
        }
        for (Class<?> c : new Class<?>[] {CancelReason.Explicit.class, CancelReason.Closed.class,
                CancelReason.ParentCancelled.class, CancelReason.Deadline.class, CancelReason.SubtaskFailed.class,
                CancelReason.Completed.class, CancelReason.OwnerInterrupted.class, CancelledException.class,
                DeadlineExceededException.class, FailedException.class, Subtask.State.class, ScopeExceptions.class,
                Stragglers.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
