package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.FailedException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.ScopeConfig;
import dev.quiesce.ScopeSnapshot;
import dev.quiesce.Straggler;
import dev.quiesce.StructureViolationException;
import dev.quiesce.Subtask;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The implementation of {@link Scope}. See the interface for the contract; the notes here are about
 * how it is kept.
 *
 * <ul>
 *   <li>Running subtasks are in {@link #live}, a chunked list of slots ({@link LiveSubtasks}: no
 *       scope-wide lock on the fork path, a task's exit clears one slot); the owner waits on one
 *       counter, {@link #running}, and is unparked by the subtask that takes it to zero, by a
 *       cancellation, or by its deadline.
 *   <li>Fork and cancel race like Dekker's algorithm: fork adds to {@code live} and then reads the
 *       cancel reason; cancel writes the reason and then walks {@code live}. One of them sees the other,
 *       so a subtask either never starts or is interrupted. Child scopes register the same way.
 *   <li>{@link #cancel} marks the whole subtree cancelled, then interrupts every running subtask thread
 *       in it from the calling thread, so it never waits for a virtual thread to be scheduled (see
 *       DESIGN.md, scope engine point 11). Owners of cancelled scopes help with the interrupts of their
 *       own subtrees ({@link #helpCancel}) so the wake-ups are spread over carriers; the canceller takes
 *       what they have not, and goes over what a helper claimed but has not finished.
 *   <li>The innermost scope a thread owns is kept in {@link #OWNED}; a subtask thread that owns no
 *       scope finds its scope through {@link SubtaskImpl#current()} and never touches the thread
 *       local, so that most subtask threads never get a thread-local map.
 * </ul>
 */
public final class ScopeImpl<T, R> implements Scope<T, R> {

    private static final Logger LOG = LoggerFactory.getLogger(Scope.class);

    private static final int OPEN = 0;
    private static final int JOINED = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final Duration UNBOUNDED = Duration.ofSeconds(Long.MAX_VALUE);

    private static final java.util.function.BooleanSupplier NEVER = () -> false; // linked once, not on first cancel
    private static final ThreadLocal<ScopeImpl<?, ?>> OWNED = new ThreadLocal<>();
    private static final Set<ScopeImpl<?, ?>> ROOTS = ConcurrentHashMap.newKeySet();
    private static final AtomicLong ROOT_SEQ = new AtomicLong();

    private static final VarHandle REASON;
    private static final VarHandle JOINER_REASON;
    private static final VarHandle STATE;

    static {
        try {
            var lookup = MethodHandles.lookup();
            REASON = lookup.findVarHandle(ScopeImpl.class, "reason", CancelReason.class);
            JOINER_REASON = lookup.findVarHandle(ScopeImpl.class, "joinerReason", CancelReason.class);
            STATE = lookup.findVarHandle(ScopeImpl.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        warmUpCancelPath();
    }

    /**
     * Loads and initialises now, with the first scope, what the first cancellation of the JVM would
     * otherwise load on the cancel path: above all the JFR event class (measured: about 140 ms of class
     * loading on the first cancel), then the reasons and exceptions a cancelled join() reports. A plain
     * scope's first cancel then costs what a later one does, as after the shutdown's preload.
     */
    private static void warmUpCancelPath() {
        CancelEvent.warmUp();
        // the iterators cancel() walks children and callbacks with, and a cancelled join() its failures with
        if (ConcurrentHashMap.newKeySet().iterator().hasNext() || new ConcurrentLinkedQueue<>().iterator().hasNext()) {
            throw new AssertionError("a new collection is not empty");
        }
        for (Class<?> c : new Class<?>[] {CancelReason.Explicit.class, CancelReason.Closed.class,
                CancelReason.ParentCancelled.class, CancelReason.Deadline.class, CancelReason.SubtaskFailed.class,
                CancelReason.Completed.class, CancelReason.OwnerInterrupted.class, CancelledException.class,
                DeadlineExceededException.class, FailedException.class, Subtask.State.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private final ScopeImpl<?, ?> parent;
    private final ScopeImpl<?, ?> enclosing; // the scope the owner had open before this one, if any
    private final SubtaskImpl<?> ownerSubtask; // the subtask the owner thread runs, if any
    private final String name;
    private final String path;
    private final Thread owner;
    private final Joiner<? super T, ? extends R> joiner;
    private final ThreadFactory threadFactory; // the configured one, or null
    private final ThreadFactory defaultFactory; // virtual threads named by path
    private final long closeTimeoutNanos;
    private final long deadlineNanos; // effective, in Clocks.nanoTime() terms
    private final Instant deadlineInstant; // effective, for display
    private final ScopeImpl<?, ?> deadlineOwner; // the scope whose own deadline is the effective one, if any

    private final AtomicInteger running = new AtomicInteger();
    private final LiveSubtasks live = new LiveSubtasks();
    private final Set<ScopeImpl<?, ?>> children = ConcurrentHashMap.newKeySet();
    private final AtomicInteger childSeq = new AtomicInteger();
    private final Set<CancelCallback> callbacks = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    private volatile int state;
    private volatile CancelReason reason;
    private volatile CancelReason joinerReason; // the reason the joiner cancels with, claimed by CAS
    private boolean ownerForked; // the owner forked (and so must join); owner thread only
    private volatile boolean stopRequested;
    private volatile long cancelNanos;
    private volatile boolean subtreeMarked; // cancelled, and so are the children it had then
    private volatile Thread waiter;
    private volatile ScheduledFuture<?> deadlineTimer;
    private volatile List<Straggler> stragglers = List.of();
    private int stragglersLogged; // owner thread only

    private ScopeImpl(
            ScopeImpl<?, ?> parent,
            ScopeImpl<?, ?> enclosing,
            SubtaskImpl<?> ownerSubtask,
            String name,
            Thread owner,
            Joiner<? super T, ? extends R> joiner,
            ScopeConfig cfg,
            long deadlineNanos,
            Instant deadlineInstant,
            ScopeImpl<?, ?> deadlineOwner) {
        this.parent = parent;
        this.enclosing = enclosing;
        this.ownerSubtask = ownerSubtask;
        this.name = name;
        this.path = (parent == null ? "" : parent.path) + "/" + name;
        this.owner = owner;
        this.joiner = joiner;
        this.threadFactory = cfg.threadFactory().orElse(null);
        this.defaultFactory = threadFactory == null ? Thread.ofVirtual().name(path).factory() : null;
        this.closeTimeoutNanos = Timers.saturatedNanos(cfg.closeTimeout());
        this.deadlineNanos = deadlineNanos;
        this.deadlineInstant = deadlineInstant;
        this.deadlineOwner = deadlineOwner == null && deadlineNanos != NO_DEADLINE ? this : deadlineOwner;
    }

    // ------------------------------------------------------------------ opening and the current scope

    /** Opens a scope owned by the current thread; see {@link Scope#open(Joiner, java.util.function.UnaryOperator)}. */
    public static <T, R> Scope<T, R> open(Joiner<? super T, ? extends R> joiner, ScopeConfig cfg) {
        Objects.requireNonNull(joiner, "joiner must not be null; use Joiner.awaitAll() for a supervisor scope");
        Objects.requireNonNull(cfg, "cfg");
        Thread me = Thread.currentThread();
        SubtaskImpl<?> mySubtask = SubtaskImpl.current();
        ScopeImpl<?, ?> enclosing = ownedTop(mySubtask);
        ScopeImpl<?, ?> parent = enclosing != null ? enclosing : (mySubtask != null ? mySubtask.scope : null);

        String name = cfg.name().orElseGet(() -> "scope-"
                + (parent == null ? ROOT_SEQ.incrementAndGet() : parent.childSeq.incrementAndGet()));

        if (joiner instanceof OneScopeJoiner one) {
            String newPath = (parent == null ? "" : parent.path) + "/" + name;
            String taken = one.claim(newPath);
            if (taken != null) {
                throw new IllegalStateException("the joiner passed to open scope " + newPath
                        + " already belongs to scope " + taken + ": a joiner keeps the state of one scope, so "
                        + "create a new joiner for each scope (e.g. call Joiner.awaitAll() again)");
            }
        }

        long now = Clocks.nanoTime();
        long ownDeadline = NO_DEADLINE;
        Instant ownInstant = null;
        // Every delay is clamped to Timers.MAX_DELAY_NANOS (about 146 years), so that no duration or instant
        // overflows here and deadline arithmetic in System.nanoTime() terms stays meaningful.
        if (cfg.timeout().isPresent()) {
            Duration t = cfg.timeout().get();
            ownDeadline = saturatedAdd(now, Timers.delayNanos(t));
            ownInstant = Timers.saturatedPlus(Clocks.instant(), t);
        } else if (cfg.deadline().isPresent()) {
            ownInstant = cfg.deadline().get();
            ownDeadline = saturatedAdd(now, Timers.delayNanos(Duration.between(Clocks.instant(), ownInstant)));
        }
        long effective = ownDeadline;
        Instant effectiveInstant = ownInstant;
        ScopeImpl<?, ?> deadlineOwner = null;
        boolean inherited = false;
        if (parent != null && parent.deadlineNanos != NO_DEADLINE
                && (ownDeadline == NO_DEADLINE || parent.deadlineNanos - ownDeadline <= 0)) {
            effective = parent.deadlineNanos;
            effectiveInstant = parent.deadlineInstant;
            deadlineOwner = parent.deadlineOwner;
            inherited = true;
        }

        var scope = new ScopeImpl<T, R>(
                parent, enclosing, mySubtask, name, me, joiner, cfg, effective, effectiveInstant, deadlineOwner);
        OWNED.set(scope);
        if (mySubtask != null) {
            mySubtask.openedScopes++;
        }
        if (parent == null) {
            ROOTS.add(scope);
        } else {
            parent.children.add(scope);
            if (parent.stopRequested) {
                scope.stopRequested = true;
            }
            CancelReason pr = parent.reason;
            if (pr != null) {
                scope.cancel(new CancelReason.ParentCancelled(parent.path, pr));
            }
        }
        if (!inherited && effective != NO_DEADLINE) {
            long delay = effective - Clocks.nanoTime();
            if (delay <= 0) {
                scope.onDeadline();
            } else {
                scope.deadlineTimer = Clocks.schedule(scope::onDeadline, delay);
                if (scope.isCancelled()) { // cancelled concurrently before the timer was stored
                    scope.deadlineTimer.cancel(false);
                }
            }
        }
        return scope;
    }

    private static ScopeImpl<?, ?> ownedTop(SubtaskImpl<?> mySubtask) {
        // A subtask thread that has opened no scope never reads the thread local (which would create
        // a thread-local map for it).
        if (mySubtask != null && mySubtask.openedScopes == 0) {
            return null;
        }
        return OWNED.get();
    }

    /** The scope the current thread runs in, or {@code null}. */
    public static ScopeImpl<?, ?> currentOrNull() {
        SubtaskImpl<?> s = SubtaskImpl.current();
        ScopeImpl<?, ?> top = ownedTop(s);
        if (top != null) {
            return top;
        }
        return s == null ? null : s.scope;
    }

    /** Snapshots of the open root scopes. */
    public static List<ScopeSnapshot> snapshotRoots() {
        List<ScopeSnapshot> out = new ArrayList<>();
        for (ScopeImpl<?, ?> r : ROOTS) {
            out.add(r.snapshot());
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ fork

    @Override
    public <U extends T> Subtask<U> fork(Callable<? extends U> task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(task);
    }

    @Override
    public <U extends T> Subtask<U> fork(Runnable task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(() -> {
            task.run();
            return null;
        });
    }

    private <U extends T> Subtask<U> forkInternal(Callable<? extends U> task) {
        return forkInternal(task, null, false);
    }

    /**
     * Forks from any thread, with the thread named {@code path + "/" + threadName} when the default
     * factory is used: for Quiesce's own services (the shutdown's root scope is forked into by the
     * application's threads; the HTTP adapter forks one task per exchange from the server's
     * dispatcher thread). Not part of the API.
     */
    public <U extends T> Subtask<U> forkService(String threadName, Callable<? extends U> task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(task, threadName, true);
    }

    private <U extends T> Subtask<U> forkInternal(Callable<? extends U> task, String threadName, boolean anyThread) {
        Thread me = Thread.currentThread();
        if (!anyThread && me != owner && !isContainedIn(me)) {
            throw new WrongThreadException("fork() on scope " + path + " called by thread \"" + me.getName()
                    + "\", which is neither its owner (\"" + owner.getName() + "\") nor running inside it: "
                    + "fork from the owner or from a task of the scope");
        }
        int st = state;
        if (st >= CLOSING) {
            throw closedForFork();
        }
        if (st == JOINED && me == owner && !anyThread) {
            throw new IllegalStateException("join() was already called on scope " + path
                    + ": fork every subtask before join(), or open a new scope for more work");
        }
        var subtask = new SubtaskImpl<U>(this, task);
        // As the JDK's: the joiner hears of every fork, even into a cancelled scope, before any thread
        // exists; whatever onFork throws comes out of fork() and nothing was started.
        if (joiner.onFork(subtask)) {
            cancelByJoiner(subtask);
        }
        boolean byOwner = me == owner && !anyThread;
        if (reason != null) { // cancelled: no thread is created, the task never runs
            return forkedUnstarted(subtask, byOwner);
        }
        Thread thread = newThread(subtask);
        if (threadName != null && threadFactory == null) {
            thread.setName(path + "/" + threadName);
        }
        subtask.bind(thread);
        // Counted and listed first, then state and reason read again, as the JDK's ThreadFlock does: close()
        // writes its state and then reads the count, cancel() writes the reason and then walks the list, so
        // either they see this subtask (close waits for it, cancel interrupts it) or this fork sees them.
        running.incrementAndGet();
        live.add(subtask);
        if (state >= CLOSING) { // a fork from another thread raced close()
            subtask.cancelUnstarted();
            subtaskDone(subtask);
            throw closedForFork();
        }
        if (reason != null) {
            subtask.cancelUnstarted();
            subtaskDone(subtask);
            return forkedUnstarted(subtask, byOwner);
        }
        try {
            thread.start();
        } catch (Throwable t) {
            subtask.cancelUnstarted();
            subtaskDone(subtask);
            throw t;
        }
        if (byOwner) {
            ownerForked = true;
        }
        return subtask;
    }

    private <U> Subtask<U> forkedUnstarted(SubtaskImpl<U> subtask, boolean byOwner) {
        subtask.cancelUnstarted();
        if (byOwner) {
            ownerForked = true;
        }
        return subtask;
    }

    private IllegalStateException closedForFork() {
        return new IllegalStateException("scope " + path + " is closed: fork before close(), or open a new scope");
    }

    private Thread newThread(Runnable r) {
        if (threadFactory == null) {
            return defaultFactory.newThread(r);
        }
        Thread t = threadFactory.newThread(r);
        if (t == null) {
            throw new java.util.concurrent.RejectedExecutionException("the thread factory of scope " + path
                    + " returned null, which rejects the fork: it must return a new, unstarted thread for every call");
        }
        return t;
    }

    private boolean isContainedIn(Thread me) {
        for (ScopeImpl<?, ?> s = currentOrNull(); s != null; s = s.parent) {
            if (s == this) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ subtask callbacks

    void recordFailure(Throwable t) {
        failures.add(t);
    }

    /**
     * Tells the joiner that {@code subtask} completed, on the subtask's thread. As the JDK's, whatever
     * {@code onComplete} throws leaves the scope alone and propagates: the subtask's thread hands it to
     * its uncaught-exception handler (see {@link SubtaskImpl#uncaughtException}) as it ends.
     */
    void onSubtaskComplete(SubtaskImpl<?> subtask) {
        if (reason != null) {
            return;
        }
        @SuppressWarnings("unchecked")
        Subtask<? extends T> s = (Subtask<? extends T>) subtask;
        if (joiner.onComplete(s)) {
            cancelByJoiner(subtask);
        }
    }

    /**
     * The joiner decided to cancel. The first such decision claims the reason it cancels with, and every
     * later one cancels with that same reason object, so join() can tell by identity, without a window,
     * whether the reason that won is the joiner's.
     */
    private void cancelByJoiner(SubtaskImpl<?> subtask) {
        CancelReason r;
        if (subtask.state() == Subtask.State.FAILED) {
            Thread t = subtask.thread;
            r = new CancelReason.SubtaskFailed(path, t == null ? "?" : t.getName(), subtask.exception());
        } else {
            r = new CancelReason.Completed(path);
        }
        if (!JOINER_REASON.compareAndSet(this, null, r)) {
            r = joinerReason;
        }
        cancel(r);
    }

    void subtaskDone(SubtaskImpl<?> subtask) {
        live.remove(subtask);
        if (running.decrementAndGet() == 0) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    // ------------------------------------------------------------------ cancellation

    @Override
    public boolean cancel(CancelReason why) {
        Objects.requireNonNull(why, "reason must not be null; use cancel() for an explicit cancellation");
        CancelEvent event = CancelEvent.start();
        if (!markCancelled(why)) {
            return false;
        }
        // First every scope of the subtree is marked (reason, callbacks, waiting owner unparked), so that
        // a child scope is cancelled for our reason before its owner, usually one of our subtasks, is
        // interrupted and would cancel it for another; the woken owners start helping at once.
        List<ScopeImpl<?, ?>> cancelled = new ArrayList<>();
        cancelled.add(this);
        for (int i = 0; i < cancelled.size(); i++) { // breadth first: owners of inner scopes early
            ScopeImpl<?, ?> s = cancelled.get(i);
            for (ScopeImpl<?, ?> child : s.children) {
                if (child.markCancelled(new CancelReason.ParentCancelled(s.path, s.reason))) {
                    cancelled.add(child);
                }
            }
        }
        for (ScopeImpl<?, ?> s : cancelled) {
            s.subtreeMarked = true; // helpers may start: the children of s are cancelled for s's reason
        }
        // Then every subtask thread is interrupted from this thread, except chunks an owner claimed first;
        // a second pass covers chunks whose claimer has not finished, so nothing waits for a helper to be
        // scheduled (DESIGN.md, scope engine point 11).
        int interrupted = 0;
        for (int i = cancelled.size() - 1; i >= 0; i--) { // from the end: the woken owners start at the front
            ScopeImpl<?, ?> s = cancelled.get(i);
            interrupted += s.live.interruptUnclaimed(s.cancelNanos);
        }
        for (ScopeImpl<?, ?> s : cancelled) {
            interrupted += s.live.interruptUnfinished(s.cancelNanos);
        }
        event.finish(path, why, interrupted, cancelled.size() - 1);
        if (LOG.isDebugEnabled()) {
            LOG.debug("cancelled {} ({}): interrupted {} subtasks, cancelled {} child scopes",
                    path, why.describe(), interrupted, cancelled.size() - 1);
        }
        return true;
    }

    /** Publishes the reason and does everything but the interrupts; whether this call cancelled the scope. */
    private boolean markCancelled(CancelReason why) {
        if (!REASON.compareAndSet(this, null, why)) {
            return false;
        }
        cancelNanos = Clocks.nanoTime();
        stopRequested = true;
        ScheduledFuture<?> timer = deadlineTimer;
        if (timer != null) {
            timer.cancel(false);
        }
        for (CancelCallback cb : callbacks) {
            cb.runOnce();
        }
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return true;
    }

    /**
     * Called by the owner once it has seen its scope cancelled, before it waits: interrupts, alongside the
     * canceller, whatever part of its subtree nobody has claimed yet. With nested scopes the wake-ups are
     * then spread over the owners' carriers instead of all coming from one thread. Only an optimisation:
     * the canceller claims whatever the owners do not take.
     */
    private void helpCancel() {
        List<ScopeImpl<?, ?>> todo = new ArrayList<>();
        todo.add(this);
        for (int i = 0; i < todo.size(); i++) {
            ScopeImpl<?, ?> s = todo.get(i);
            if (s.subtreeMarked) { // else its canceller is still marking: interrupting now could reach an
                                   // owner whose scope is not cancelled yet
                s.live.interruptUnclaimed(s.cancelNanos);
                todo.addAll(s.children);
            }
        }
    }

    /**
     * The effective deadline passed: cancels the scope that owns it (this one, or the ancestor it was
     * inherited from, whose cancellation reaches this one), so that every scope under that deadline
     * sees the same reason whichever of them noticed first.
     */
    private void onDeadline() {
        ScopeImpl<?, ?> o = deadlineOwner == null ? this : deadlineOwner;
        var deadline = new CancelReason.Deadline(o.path, o.deadlineInstant == null ? Clocks.instant() : o.deadlineInstant);
        o.cancel(deadline);
        if (o != this) {
            // The owner's cancellation reaches this scope through the tree, possibly still on its way on
            // another thread (the timer's): make sure this scope is cancelled before its join() goes on, or
            // join() would see no reason, return, and close() would cancel with CLOSED instead.
            CancelReason pr = parent.reason;
            cancel(new CancelReason.ParentCancelled(parent.path, pr != null ? pr : deadline));
        }
    }

    @Override
    public void requestStop() {
        if (stopRequested) {
            return;
        }
        stopRequested = true;
        for (ScopeImpl<?, ?> child : children) {
            child.requestStop();
        }
    }

    @Override
    public Registration onCancel(Runnable callback) {
        Objects.requireNonNull(callback, "callback must not be null");
        var cb = new CancelCallback(callback);
        callbacks.add(cb);
        if (reason != null) {
            cb.runOnce();
        }
        return () -> callbacks.remove(cb);
    }

    private final class CancelCallback {
        private final AtomicBoolean ran = new AtomicBoolean();
        private final Runnable action;

        CancelCallback(Runnable action) {
            this.action = action;
        }

        void runOnce() {
            if (ran.compareAndSet(false, true)) {
                try {
                    action.run();
                } catch (Throwable t) {
                    LOG.warn("onCancel callback of scope {} threw; the remaining callbacks still run", path, t);
                }
            }
        }
    }

    /** Throws if this scope is cancelled; see {@link Scope#throwIfCancelled()}. */
    public void throwIfCancelledNow() {
        CancelReason r = reason;
        if (r != null) {
            throw r.root() instanceof CancelReason.Deadline
                    ? new DeadlineExceededException("scope " + path + " cancelled: " + r.describe(), r)
                    : new CancelledException("scope " + path + " cancelled: " + r.describe(), r);
        }
    }

    // ------------------------------------------------------------------ join

    @Override
    public R join() throws InterruptedException {
        checkOwner("join()");
        int st = state;
        if (st != OPEN || !STATE.compareAndSet(this, OPEN, JOINED)) {
            throw new IllegalStateException(st == JOINED
                    ? "join() was already called on scope " + path + ": a scope is joined once; read the subtasks instead"
                    : "scope " + path + " is closed: join() must come before close()");
        }
        waiter = owner;
        try {
            for (;;) {
                if (running.get() == 0 || reason != null) {
                    break;
                }
                if (deadlineNanos != NO_DEADLINE) {
                    long left = deadlineNanos - Clocks.nanoTime();
                    if (left <= 0) {
                        onDeadline();
                        break;
                    }
                    Clocks.parkNanos(this, left);
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    cancel(new CancelReason.OwnerInterrupted(path));
                    awaitSettled();
                    throw new InterruptedException("owner of scope " + path + " was interrupted in join(); "
                            + "the scope was cancelled");
                }
            }
        } finally {
            waiter = null;
        }
        if (reason != null) {
            awaitSettled();
        }
        return outcome();
    }

    private R outcome() {
        CancelReason r = reason;
        if (r == null || r == joinerReason) { // joinerReason is written before a reason it wins with
            try {
                return joiner.result();
            } catch (Throwable t) {
                throw failedException(t);
            }
        }
        CancelledException e = r.root() instanceof CancelReason.Deadline
                ? new DeadlineExceededException("scope " + path + " did not complete before its deadline: "
                        + r.describe(), r)
                : new CancelledException("scope " + path + " was cancelled: " + r.describe(), r);
        for (Throwable f : failures) {
            e.addSuppressed(f);
        }
        throw e;
    }

    private FailedException failedException(Throwable first) {
        FailedException fe = first instanceof FailedException f
                ? f
                : new FailedException("a subtask of scope " + path + " failed: " + first, first);
        Set<Throwable> already = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        already.add(fe);
        already.add(fe.getCause() == null ? fe : fe.getCause());
        already.addAll(Arrays.asList(fe.getSuppressed()));
        for (Throwable f : failures) {
            if (already.add(f)) {
                fe.addSuppressed(f);
            }
        }
        return fe;
    }

    /**
     * After a cancellation, waits for the interrupted threads to end, up to the close timeout counted
     * from the cancellation; records stragglers if some do not. Interrupts do not shorten the wait;
     * the interrupt status is restored.
     */
    private void awaitSettled() {
        if (running.get() == 0) {
            return;
        }
        helpCancel();
        long since = cancelNanos;
        if (since == 0) {
            since = Clocks.nanoTime();
        }
        if (!parkUntilNoRunning(saturatedAdd(since, closeTimeoutNanos), NEVER)) {
            recordStragglers();
        }
    }

    private void recordStragglers() {
        long now = Clocks.nanoTime();
        List<Straggler> found = new ArrayList<>();
        live.forEach(s -> {
            Straggler st = straggler(s, now);
            if (st != null) {
                found.add(st);
            }
        });
        List<Straggler> before = stragglers; // join() gave up already: close() logs only threads it did not
        stragglers = List.copyOf(found);
        for (Straggler s : found) {
            if (before.stream().anyMatch(b -> b.threadId() == s.threadId())) {
                continue;
            }
            stragglersLogged++;
            LOG.warn("scope {} abandons a thread that did not end within the close timeout of {} ms: {}",
                    path, Duration.ofNanos(closeTimeoutNanos).toMillis(), s.describe());
        }
    }

    // ------------------------------------------------------------------ for the shutdown sequence

    /** The number of subtasks whose threads have not finished. */
    public int runningCount() {
        return running.get();
    }

    /** Whether a deadline timer of this scope is still scheduled (for tests: close must cancel it). */
    public boolean deadlineTimerPending() {
        ScheduledFuture<?> t = deadlineTimer;
        return t != null && !t.isDone();
    }

    /** How many stragglers this scope has logged (for tests: each is logged once). Owner thread only. */
    public int stragglersLogged() {
        return stragglersLogged;
    }

    /** Chunks of subtask slots linked now (for tests: a scope that forks forever must not grow). */
    int liveChunkCount() {
        return live.chunkCount();
    }

    /** Running subtasks in this scope and all its descendants. */
    public int totalRunning() {
        int n = running.get();
        for (ScopeImpl<?, ?> c : children) {
            n += c.totalRunning();
        }
        return n;
    }

    /**
     * Waits, as the owner and without joining, until no subtask is running or {@code deadlineNanos}
     * (System.nanoTime) passes or {@code wake} returns true after an unpark; interrupts are remembered
     * and restored.
     *
     * @return whether no subtask is running
     */
    public boolean awaitNoRunning(long deadlineNanos, java.util.function.BooleanSupplier wake) {
        checkOwner("awaitNoRunning()");
        return parkUntilNoRunning(deadlineNanos, wake);
    }

    /** The owner's one wait: parks until no subtask runs, the deadline, or {@code wake}; keeps interrupts. */
    private boolean parkUntilNoRunning(long deadlineNanos, java.util.function.BooleanSupplier wake) {
        boolean interrupted = false;
        waiter = owner;
        try {
            while (running.get() != 0 && !wake.getAsBoolean()) {
                long left = deadlineNanos - Clocks.nanoTime();
                if (left <= 0) {
                    break;
                }
                Clocks.parkNanos(this, left);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
        } finally {
            waiter = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return running.get() == 0;
    }

    /** Unparks the owner if it waits in {@link #awaitNoRunning}. */
    public void wakeOwner() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Every subtask thread still running in this scope and its descendants, with stacks. */
    public List<Straggler> collectStragglers() {
        List<Straggler> out = new ArrayList<>();
        collectStragglers(out, Clocks.nanoTime());
        return out;
    }

    private void collectStragglers(List<Straggler> out, long now) {
        live.forEach(s -> {
            Straggler st = straggler(s, now);
            if (st != null) {
                out.add(st);
            }
        });
        for (ScopeImpl<?, ?> c : children) {
            c.collectStragglers(out, now);
        }
    }

    private Straggler straggler(SubtaskImpl<?> s, long now) {
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

    // ------------------------------------------------------------------ close

    @Override
    public void close() {
        checkOwner("close()");
        if (state == CLOSED) {
            return;
        }
        boolean forkedWithoutJoin = ownerForked && state == OPEN;
        StructureViolationException violation = null;
        SubtaskImpl<?> mySubtask = SubtaskImpl.current();
        ScopeImpl<?, ?> top = ownedTop(mySubtask);
        if (top != this && top != null && top.isEnclosedBy(this)) {
            violation = new StructureViolationException("scope " + path + " closed while scope " + top.path
                    + ", opened inside it by the same thread, is still open: close the innermost scope first "
                    + "(use nested try-with-resources); the inner scopes were closed now");
            while ((top = ownedTop(mySubtask)) != this && top != null) {
                try {
                    top.closeInternal();
                } catch (Throwable t) {
                    violation.addSuppressed(t);
                }
            }
        }
        closeInternal();
        // As the JDK's: closing cancelled and waited as usual, and then says that the owner skipped join().
        IllegalStateException notJoined = forkedWithoutJoin
                ? new IllegalStateException("owner did not join after forking: scope " + path + " was closed "
                        + "without join() (what still ran was cancelled and waited for); call join() before close()")
                : null;
        if (violation != null) {
            if (notJoined != null) {
                violation.addSuppressed(notJoined);
            }
            throw violation;
        }
        if (notJoined != null) {
            throw notJoined;
        }
    }

    /**
     * A task returned while scopes it opened are still open (it did not use try-with-resources): closes
     * them, innermost first, so their threads do not outlive the task, and records the violation as a
     * failure of the task's scope, so it is not silent.
     */
    static void closeLeakedScopes(SubtaskImpl<?> subtask) {
        ScopeImpl<?, ?> top;
        while (subtask.openedScopes > 0 && (top = OWNED.get()) != null && top.ownerSubtask == subtask) {
            var violation = new StructureViolationException("a task of " + subtask.scope.path + " returned while scope "
                    + top.path + ", which it opened, was still open: close every scope you open before returning "
                    + "(try-with-resources); Quiesce closed it");
            LOG.warn("{}", violation.getMessage());
            try {
                top.closeInternal();
            } catch (Throwable t) {
                violation.addSuppressed(t);
            }
            subtask.scope.recordFailure(violation);
        }
    }

    private boolean isEnclosedBy(ScopeImpl<?, ?> outer) {
        for (ScopeImpl<?, ?> s = this.enclosing; s != null; s = s.enclosing) {
            if (s == outer) {
                return true;
            }
        }
        return false;
    }

    private void closeInternal() {
        STATE.setVolatile(this, CLOSING);
        if (running.get() > 0 || !children.isEmpty()) {
            cancel(new CancelReason.Closed(path));
        }
        ScheduledFuture<?> timer = deadlineTimer;
        if (timer != null) {
            timer.cancel(false);
        }
        awaitSettled();
        if (parent == null) {
            ROOTS.remove(this);
        } else {
            parent.children.remove(this);
        }
        if (OWNED.get() == this) {
            if (enclosing == null) {
                OWNED.remove();
            } else {
                OWNED.set(enclosing);
            }
        }
        if (ownerSubtask != null) {
            ownerSubtask.openedScopes--;
        }
        STATE.setVolatile(this, CLOSED);
    }

    private void checkOwner(String what) {
        Thread me = Thread.currentThread();
        if (me != owner) {
            throw new WrongThreadException(what + " on scope " + path + " called by thread \"" + me.getName()
                    + "\" (#" + me.threadId() + "), but only its owner \"" + owner.getName() + "\" (#"
                    + owner.threadId() + "), the thread that opened it, may call it");
        }
    }

    // ------------------------------------------------------------------ queries

    @Override
    public boolean isCancelled() {
        return reason != null;
    }

    @Override
    public boolean isStopRequested() {
        return stopRequested;
    }

    @Override
    public Optional<CancelReason> cancelReason() {
        return Optional.ofNullable(reason);
    }

    @Override
    public Optional<Instant> deadline() {
        return Optional.ofNullable(deadlineInstant);
    }

    @Override
    public Duration remaining() {
        if (deadlineNanos == NO_DEADLINE) {
            return UNBOUNDED;
        }
        long left = deadlineNanos - Clocks.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** Nanoseconds left until the effective deadline, {@link Long#MAX_VALUE} for none; may be negative. */
    public long remainingNanos() {
        return deadlineNanos == NO_DEADLINE ? Long.MAX_VALUE : deadlineNanos - Clocks.nanoTime();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public Thread owner() {
        return owner;
    }

    @Override
    public Optional<Scope<?, ?>> parent() {
        return Optional.ofNullable(parent);
    }

    @Override
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    @Override
    public List<Straggler> stragglers() {
        return stragglers;
    }

    @Override
    public ScopeSnapshot snapshot() {
        List<ScopeSnapshot.SubtaskSnapshot> subs = new ArrayList<>();
        live.forEach(s -> {
            Thread t = s.thread;
            if (t != null) {
                subs.add(new ScopeSnapshot.SubtaskSnapshot(t.getName(), t.threadId(), t.getState().name(), s.state()));
            }
        });
        List<ScopeSnapshot> kids = new ArrayList<>();
        for (ScopeImpl<?, ?> c : children) {
            kids.add(c.snapshot());
        }
        String st = switch (state) {
            case OPEN -> "OPEN";
            case JOINED -> "JOINED";
            case CLOSING -> "CLOSING";
            default -> "CLOSED";
        };
        CancelReason r = reason;
        return new ScopeSnapshot(path, owner.getName() + " #" + owner.threadId(), st,
                r == null ? Optional.empty() : Optional.of(r.describe()), stopRequested, deadline(), subs, kids);
    }

    @Override
    public String toString() {
        return "Scope[" + path + (reason == null ? "" : ", cancelled: " + reason.describe()) + "]";
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return r;
    }
}
