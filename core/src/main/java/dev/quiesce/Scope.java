package dev.quiesce;

import dev.quiesce.internal.CurrentScope;
import dev.quiesce.internal.EngineScope;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;

/**
 * A structured-concurrency scope: a node of a cancellation tree whose subtasks run in their own
 * (by default virtual) threads. It follows the model of the JDK's {@code StructuredTaskScope}
 * &mdash; open, fork, join, close, owned by the thread that opened it &mdash; and adds what a
 * deadline-bounded shutdown needs: cancellation from any thread with a typed {@link CancelReason},
 * a soft stop, deadlines inherited down the tree, a bounded close that reports stragglers, and a tree
 * that can be inspected while it runs.
 *
 * {@snippet class=dev.quiesce.snippets.ScopeSnippets region=scope}
 *
 * <h2>Tree</h2>
 * A scope opened by a thread that runs inside scope P (a subtask of P, or P's owner while P is open)
 * is a child of P. {@link #snapshot()} and {@link #snapshotAll()} return the live tree as data, text
 * or JSON. Thread names are the scope's path ({@code /shutdown/http}).
 *
 * <h2>Cancellation</h2>
 * {@link #cancel(CancelReason)} may be called by any thread and is idempotent; the first reason wins.
 * It stops new forks (a subtask forked later never runs), runs the {@link #onCancel} callbacks,
 * interrupts every running subtask thread and cancels every child scope directly, all from the calling
 * thread, so cancellation never waits for a virtual thread to be scheduled. {@link #requestStop()} is
 * the soft first stage: it sets a flag tasks poll with {@link #stopRequested()} and interrupts nothing.
 * A scope whose effective deadline (the earliest of its own and its ancestors') passes is cancelled with
 * {@link CancelReason.Deadline}. Code inside {@link Shield} regions is not interrupted.
 *
 * <h2>Threads</h2>
 * {@link #join()} and {@link #close()} may only be called by the owner. {@link #fork} may be called by
 * the owner and by any thread running inside the scope (its subtasks and their descendants). All other
 * methods may be called from any thread. Actions of a subtask happen-before {@code join()} returns.
 * A subtask thread is linked to its scope through its {@linkplain Thread#getUncaughtExceptionHandler()
 * uncaught-exception handler} slot (docs/adr/0002); a task that replaces that handler on its own thread
 * detaches itself from the tree.
 *
 * <p>Null arguments are rejected with {@link NullPointerException}.
 *
 * @param <T> the result type of the subtasks
 * @param <R> the result type of {@link #join()}
 */
public sealed interface Scope<T, R> extends AutoCloseable permits EngineScope {

    /**
     * Opens a scope with {@link Joiner#awaitAllSuccessfulOrThrow()} and the default configuration, owned
     * by the current thread.
     */
    static Scope<Object, Void> open() {
        return EngineScope.open(Joiner.awaitAllSuccessfulOrThrow(), ScopeConfig.defaults());
    }

    /**
     * Opens a scope with the given joiner and the default configuration, owned by the current thread.
     *
     * @throws IllegalStateException if {@code joiner} is a built-in joiner that another scope was opened
     *     with: create a new joiner for each scope
     */
    static <T, R> Scope<T, R> open(Joiner<? super T, ? extends R> joiner) {
        return EngineScope.open(joiner, ScopeConfig.defaults());
    }

    /**
     * Opens a scope with the given joiner and the configuration that {@code configure} makes from the
     * defaults, owned by the current thread.
     *
     * @throws IllegalStateException if {@code joiner} is a built-in joiner that another scope was opened
     *     with: create a new joiner for each scope
     */
    static <T, R> Scope<T, R> open(Joiner<? super T, ? extends R> joiner, UnaryOperator<ScopeConfig> configure) {
        Objects.requireNonNull(configure, "configure must not be null; use open(joiner) for the defaults");
        ScopeConfig cfg = Objects.requireNonNull(
                configure.apply(ScopeConfig.defaults()), "configure returned null; return the configuration it was given");
        return EngineScope.open(joiner, cfg);
    }

    /**
     * The scope the current thread runs in: the innermost scope it has opened and not closed, else the
     * scope of the subtask it runs.
     *
     * @throws IllegalStateException if the current thread runs in no scope
     */
    static Scope<?, ?> current() {
        Scope<?, ?> s = CurrentScope.currentOrNull();
        if (s == null) {
            throw new IllegalStateException("the current thread runs in no Quiesce scope: call this from a task "
                    + "forked into a scope or from the owner of an open scope, or use Scope.find()");
        }
        return s;
    }

    /** The scope the current thread runs in, if any (see {@link #current()}). */
    static Optional<Scope<?, ?>> find() {
        return Optional.ofNullable(CurrentScope.currentOrNull());
    }

    /**
     * Whether the scope the current thread runs in has been asked to stop (or cancelled). Long-running
     * tasks poll this to finish their current unit of work and return. {@code false} outside a scope.
     */
    static boolean stopRequested() {
        Scope<?, ?> s = CurrentScope.currentOrNull();
        return s != null && s.isStopRequested();
    }

    /**
     * Throws {@link CancelledException} if the scope the current thread runs in has been cancelled: a
     * cancellation point for CPU-bound code that does not block.
     */
    static void throwIfCancelled() {
        CurrentScope.throwIfCancelled();
    }

    /** Snapshots of every root scope that is open now, with their trees. */
    static List<ScopeSnapshot> snapshotAll() {
        return CurrentScope.snapshotRoots();
    }

    /**
     * Starts {@code task} in a new thread of this scope and returns its subtask. First the scope's
     * {@linkplain ContextPropagator context propagators} capture the current thread's context (MDC and the
     * named {@code ScopedValue}s by default: see {@link ScopeConfig#withPropagator}); the new thread restores
     * it around the task. Then the joiner's {@link Joiner#onFork onFork} is called (what it throws comes out
     * of this method, and no thread is created). If the scope is then cancelled (before, or by {@code onFork})
     * no thread is created, the task never runs and the subtask is {@link Subtask.State#CANCELLED}. Otherwise
     * a thread is created with the scope's thread factory and started.
     *
     * @throws IllegalStateException if the scope is closed, or {@code join()} has already been called by
     *     the owner, or a propagator's {@code capture()} threw (its cause; no subtask was created)
     * @throws WrongThreadException if the current thread is neither the owner nor inside the scope
     * @throws java.util.concurrent.RejectedExecutionException if the thread factory returned {@code null}
     */
    <U extends T> Subtask<U> fork(Callable<? extends U> task);

    /** Like {@link #fork(Callable)} for a task without a result; a successful subtask's result is {@code null}. */
    <U extends T> Subtask<U> fork(Runnable task);

    /**
     * Waits as the joiner decides: until every subtask completed, or the joiner cancelled the scope, or
     * the scope was cancelled. After a cancellation it also waits, up to the close timeout, for the
     * interrupted threads to end, so that their failures are collected. May be called once, by the
     * owner.
     *
     * @return the joiner's result
     * @throws FailedException if the joiner reports failure; its cause is the first failure, every
     *     other failure is suppressed
     * @throws DeadlineExceededException if the effective deadline passed
     * @throws CancelledException if the scope was cancelled for another reason than its joiner's decision
     * @throws InterruptedException if the owner was interrupted while waiting; the scope is then
     *     cancelled with {@link CancelReason.OwnerInterrupted}
     * @throws IllegalStateException if called twice or after close
     * @throws WrongThreadException if the current thread is not the owner
     */
    R join() throws InterruptedException;

    /**
     * Closes the scope: cancels it if subtasks are still running, then waits for every subtask thread to
     * end, up to the close timeout after the cancellation. Threads still running then are reported as
     * {@linkplain #stragglers() stragglers} (logged with their stacks) and abandoned. An interrupt of the
     * owner during the wait does not shorten it; the interrupt status is restored before returning.
     * Idempotent.
     *
     * @throws IllegalStateException if the owner forked subtasks and did not call {@code join()}, as the
     *     JDK's {@code StructuredTaskScope} does; thrown after the scope was cancelled and waited for as usual
     * @throws WrongThreadException if the current thread is not the owner
     * @throws StructureViolationException if a scope this thread opened inside this one is still open;
     *     those inner scopes are closed first, then this one, then the exception is thrown (with the
     *     missing {@code join()}, if any, suppressed)
     */
    @Override
    void close();

    /**
     * Cancels this scope and its descendants with {@code reason}. Idempotent; the first reason wins.
     *
     * @return {@code true} if this call cancelled the scope
     */
    boolean cancel(CancelReason reason);

    /** {@link #cancel(CancelReason)} with an {@link CancelReason.Explicit} reason. */
    default boolean cancel() {
        return cancel(CancelReason.explicit("cancel() called on " + path()));
    }

    /**
     * Asks the tasks of this scope and its descendants to stop soon, without interrupting them: sets the
     * flag that {@link #stopRequested()} reads. Idempotent. The shutdown sequence uses stop, then a grace
     * period, then cancel.
     */
    void requestStop();

    /**
     * Registers {@code callback} to run when this scope is cancelled, on the cancelling thread, before
     * subtask threads are interrupted: for blocking work an interrupt cannot stop (close a socket, cancel
     * a JDBC statement). It must be quick and must not block. If the scope is already cancelled it runs
     * now. A callback that throws is logged and does not stop the others.
     *
     * @return a registration whose {@code close()} removes the callback
     */
    Registration onCancel(Runnable callback);

    /** Whether the scope has been cancelled. */
    boolean isCancelled();

    /** Whether the scope has been asked to stop or has been cancelled. */
    boolean isStopRequested();

    /** The reason the scope was cancelled, if it was. */
    Optional<CancelReason> cancelReason();

    /** The effective deadline: the earliest of this scope's and its ancestors', if any. */
    Optional<Instant> deadline();

    /**
     * Time left until the effective deadline: {@link Duration#ZERO} once it has passed, and a duration
     * of {@link Long#MAX_VALUE} seconds when there is no deadline.
     */
    Duration remaining();

    /** The scope's name, the last segment of its path. */
    String name();

    /** The scope's path in the tree, e.g. {@code /shutdown/http}. */
    String path();

    /** The owner thread. */
    Thread owner();

    /** The parent scope, empty for a root. */
    Optional<Scope<?, ?>> parent();

    /** Every failure recorded so far, in the order they happened (not caused by cancellation). */
    List<Throwable> failures();

    /** Threads abandoned at the close timeout; empty unless {@code join()} or {@code close()} gave up waiting. */
    List<Straggler> stragglers();

    /** A snapshot of this scope, its subtasks and its child scopes. */
    ScopeSnapshot snapshot();

    /** A removable registration, e.g. of an {@link #onCancel} callback. */
    interface Registration extends AutoCloseable {
        /** Removes the registration. Idempotent. */
        @Override
        void close();
    }
}
