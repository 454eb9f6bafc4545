package dev.quiesce.internal;

import dev.quiesce.CancelReason;
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
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The implementation of {@link Scope} and {@link EngineScope}. See the interfaces for the contract; the notes
 * here are about how it is kept. Beside it: {@link TreeCancellation} (the walk that cancels a subtree),
 * {@link CurrentScope} (which scope a thread runs in, the open roots) and {@link Deadline} (deadline
 * arithmetic and every time read of it).
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
 *       in it from the calling thread ({@link TreeCancellation}), so it never waits for a virtual thread to
 *       be scheduled (DESIGN.md, scope engine point 11). Owners of cancelled scopes help with the
 *       interrupts of their own subtrees so the wake-ups are spread over carriers.
 * </ul>
 */
final class ScopeImpl<T, R> implements EngineScope<T, R> {

    private static final Logger LOG = LoggerFactory.getLogger(Scope.class);

    private static final int OPEN = 0;
    private static final int JOINED = 1;
    private static final int CLOSING = 2;
    private static final int CLOSED = 3;

    private static final BooleanSupplier NEVER = () -> false; // linked once, not on first cancel

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
        TreeCancellation.warmUp();
    }

    private final ScopeImpl<?, ?> parent;
    final ScopeImpl<?, ?> enclosing; // the scope the owner had open before this one, if any
    final SubtaskImpl<?> ownerSubtask; // the subtask the owner thread runs, if any
    private final String name;
    private final String path;
    private final Thread owner;
    private final Joiner<? super T, ? extends R> joiner;
    private final ThreadFactory threadFactory; // the configured one, or null
    private final ThreadFactory defaultFactory; // virtual threads named by path
    private final long closeTimeoutNanos;
    private final Deadline deadline; // effective: its own, or the parent's object when that is earlier
    final ForkContext context; // what forks carry to their threads: the parent's, or its own if configured

    private final PaddedCounter running = new PaddedCounter(); // on a line of its own: forks write it, tasks read reason
    final LiveSubtasks live = new LiveSubtasks();
    final Set<ScopeImpl<?, ?>> children = ConcurrentHashMap.newKeySet();
    private final AtomicInteger childSeq = new AtomicInteger();
    private final Set<CancelCallback> callbacks = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    private volatile int state;
    volatile CancelReason reason;
    private volatile CancelReason joinerReason; // the reason the joiner cancels with, claimed by CAS
    private boolean ownerForked; // the owner forked (and so must join); owner thread only
    private volatile boolean stopRequested;
    volatile long cancelNanos;
    private boolean closeWithoutWaiting; // owner only: see closeWithoutWaiting()
    volatile boolean subtreeMarked; // cancelled, and so are the children it had then
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
            ScopeConfig cfg) {
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
        this.deadline = Deadline.effective(cfg, parent == null ? Deadline.NONE : parent.deadline, this);
        this.context = ForkContext.of(cfg, parent == null ? ForkContext.DEFAULT : parent.context);
    }

    // ------------------------------------------------------------------ opening

    /** Opens a scope owned by the current thread; see {@link Scope#open(Joiner, java.util.function.UnaryOperator)}. */
    static <T, R> ScopeImpl<T, R> open(Joiner<? super T, ? extends R> joiner, ScopeConfig cfg) {
        Objects.requireNonNull(joiner, "joiner must not be null; use Joiner.awaitAll() for a supervisor scope");
        Objects.requireNonNull(cfg, "cfg");
        Thread me = Thread.currentThread();
        SubtaskImpl<?> mySubtask = SubtaskImpl.current();
        ScopeImpl<?, ?> enclosing = CurrentScope.ownedTop(mySubtask);
        ScopeImpl<?, ?> parent = enclosing != null ? enclosing : (mySubtask != null ? mySubtask.scope : null);

        String name = cfg.name().orElseGet(() -> "scope-"
                + (parent == null ? CurrentScope.nextRootNumber() : parent.childSeq.incrementAndGet()));

        if (joiner instanceof OneScopeJoiner one) {
            String newPath = (parent == null ? "" : parent.path) + "/" + name;
            String taken = one.claim(newPath);
            if (taken != null) {
                throw new IllegalStateException("the joiner passed to open scope " + newPath
                        + " already belongs to scope " + taken + ": a joiner keeps the state of one scope, so "
                        + "create a new joiner for each scope (e.g. call Joiner.awaitAll() again)");
            }
        }

        var scope = new ScopeImpl<T, R>(parent, enclosing, mySubtask, name, me, joiner, cfg);
        CurrentScope.bind(scope, mySubtask);
        if (parent == null) {
            CurrentScope.addRoot(scope);
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
        ScheduledFuture<?> timer = scope.deadline.arm(scope); // or expires it now, if its own deadline passed
        if (timer != null) {
            scope.deadlineTimer = timer;
            if (scope.isCancelled()) { // cancelled concurrently before the timer was stored
                timer.cancel(false);
            }
        }
        return scope;
    }

    // ------------------------------------------------------------------ fork

    @Override
    public <U extends T> Subtask<U> fork(Callable<? extends U> task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(task, false, null, false);
    }

    @Override
    public <U extends T> Subtask<U> fork(Runnable task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(task, true, null, false); // the Runnable itself: no wrapper object, no extra frame
    }

    @Override
    public <U extends T> Subtask<U> forkService(String threadName, Callable<? extends U> task) {
        Objects.requireNonNull(task, "task must not be null; pass the work to run as a Callable or Runnable");
        return forkInternal(task, false, threadName, true);
    }

    /** {@code task} is a {@code Runnable} if {@code runnable}, else a {@code Callable} (see SubtaskImpl#invoke). */
    private <U extends T> Subtask<U> forkInternal(Object task, boolean runnable, String threadName, boolean anyThread) {
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
        // On the forking thread, before the joiner hears of the fork: a propagator that throws fails the fork
        // with no subtask created. Null (no allocation) when there is no context to carry.
        Object[] captured = context.capture(path);
        var subtask = new SubtaskImpl<U>(this, task, runnable, captured);
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
        if (byOwner && !ownerForked) { // written once, not on every fork: the tasks read this object's reason
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
        for (ScopeImpl<?, ?> s = CurrentScope.find(); s != null; s = s.parent) {
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
        return TreeCancellation.cancel(this, why);
    }

    /** Publishes the reason and does everything but the interrupts; whether this call cancelled the scope. */
    boolean markCancelled(CancelReason why) {
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
     * The effective deadline passed: cancels the scope that owns it (this one, or the ancestor it was
     * inherited from, whose cancellation reaches this one), so that every scope under that deadline
     * sees the same reason whichever of them noticed first.
     */
    void onDeadline() {
        ScopeImpl<?, ?> o = deadline.owner == null ? this : deadline.owner;
        CancelReason.Deadline expired = o.deadline.reason();
        o.cancel(expired);
        if (o != this) {
            // The owner's cancellation reaches this scope through the tree, possibly still on its way on
            // another thread (the timer's): make sure this scope is cancelled before its join() goes on, or
            // join() would see no reason, return, and close() would cancel with CLOSED instead.
            CancelReason pr = parent.reason;
            cancel(new CancelReason.ParentCancelled(parent.path, pr != null ? pr : expired));
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
        var cb = new CancelCallback(callback, path);
        callbacks.add(cb);
        if (reason != null) {
            cb.runOnce();
        }
        return () -> callbacks.remove(cb);
    }

    /** Throws if this scope is cancelled; see {@link Scope#throwIfCancelled()} and {@link CurrentScope}. */
    void throwIfCancelledNow() {
        CancelReason r = reason;
        if (r != null) {
            throw ScopeExceptions.cancelledNow(path, r);
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
                if (deadline.isSet()) {
                    if (!Deadline.parkUntil(this, deadline.nanos)) {
                        onDeadline();
                        break;
                    }
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
                throw ScopeExceptions.failed(path, t, failures);
            }
        }
        throw ScopeExceptions.cancelled(path, r, failures);
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
        TreeCancellation.help(this);
        long since = cancelNanos;
        if (since == 0) {
            since = Clocks.nanoTime();
        }
        long deadline = closeWithoutWaiting ? Clocks.nanoTime() : Deadline.after(since, closeTimeoutNanos);
        if (!parkUntilNoRunning(deadline, NEVER)) {
            recordStragglers();
        }
    }

    private void recordStragglers() {
        long now = Clocks.nanoTime();
        List<Straggler> found = new ArrayList<>();
        Stragglers.ofScope(this, found, now);
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

    // ------------------------------------------------------------------ for the shutdown sequence (EngineScope)

    @Override
    public int runningCount() {
        return running.get();
    }

    /** Whether a deadline timer of this scope is still scheduled (for tests: close must cancel it). */
    boolean deadlineTimerPending() {
        ScheduledFuture<?> t = deadlineTimer;
        return t != null && !t.isDone();
    }

    /** How many stragglers this scope has logged (for tests: each is logged once). Owner thread only. */
    int stragglersLogged() {
        return stragglersLogged;
    }

    /** Chunks of subtask slots linked now (for tests: a scope that forks forever must not grow). */
    int liveChunkCount() {
        return live.chunkCount();
    }

    @Override
    public int totalRunning() {
        int n = running.get();
        for (ScopeImpl<?, ?> c : children) {
            n += c.totalRunning();
        }
        return n;
    }

    @Override
    public boolean awaitNoRunning(long deadlineNanos, BooleanSupplier wake) {
        checkOwner("awaitNoRunning()");
        return parkUntilNoRunning(deadlineNanos, wake);
    }

    /** The owner's one wait: parks until no subtask runs, the deadline, or {@code wake}; keeps interrupts. */
    private boolean parkUntilNoRunning(long deadlineNanos, BooleanSupplier wake) {
        boolean interrupted = false;
        waiter = owner;
        try {
            while (running.get() != 0 && !wake.getAsBoolean()) {
                if (!Deadline.parkUntil(this, deadlineNanos)) {
                    break;
                }
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

    @Override
    public void wakeOwner() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    @Override
    public List<Straggler> collectStragglers() {
        List<Straggler> out = new ArrayList<>();
        Stragglers.ofTree(this, out, Clocks.nanoTime());
        return out;
    }


    // ------------------------------------------------------------------ close

    @Override
    public void close() {
        checkOwner("close()");
        if (state == CLOSED) {
            return;
        }
        boolean forkedWithoutJoin = ownerForked && state == OPEN;
        StructureViolationException violation = CurrentScope.closeInner(this);
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

    @Override
    public void closeWithoutWaiting() {
        checkOwner("closeWithoutWaiting()");
        closeWithoutWaiting = true;
        close();
    }

    void closeInternal() {
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
            CurrentScope.removeRoot(this);
        } else {
            parent.children.remove(this);
        }
        CurrentScope.unbind(this, enclosing, ownerSubtask);
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
        return Optional.ofNullable(deadline.instant);
    }

    @Override
    public Duration remaining() {
        return deadline.remaining();
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
}
