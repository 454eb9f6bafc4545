package dev.quiesce.internal;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.ScopeConfig;
import dev.quiesce.Straggler;
import dev.quiesce.Subtask;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * What Quiesce's own services ({@code dev.quiesce.shutdown}, {@code dev.quiesce.http}) may do with a scope
 * beyond the API: the one way they talk to the engine. The shutdown's root scope is opened with
 * {@link #open} and driven through the sequence's phases with {@link #awaitNoRunning}, {@link #wakeOwner},
 * {@link #runningCount}, {@link #totalRunning} and {@link #collectStragglers}; services and HTTP exchanges
 * are forked into it (and into the adapter's scope) from other threads with {@link #forkService}.
 *
 * <p>Every scope is one ({@link Scope#open} returns one): a service that opens its scope with the API casts it.
 * The same thread rules as {@link Scope}'s apply. Not part of the API: the package is not exported.
 *
 * @param <T> the result type of the subtasks
 * @param <R> the result type of {@link #join()}
 */
public sealed interface EngineScope<T, R> extends Scope<T, R> permits ScopeImpl {

    /**
     * Opens a scope owned by the current thread, as {@link Scope#open(Joiner, java.util.function.UnaryOperator)}
     * does. Used by the shutdown for its root scope and for the warm-up's rehearsal.
     */
    static <T, R> EngineScope<T, R> open(Joiner<? super T, ? extends R> joiner, ScopeConfig cfg) {
        return ScopeImpl.open(joiner, cfg);
    }

    /**
     * Forks from any thread, with the thread named {@code path + "/" + threadName} when the default
     * factory is used. Otherwise as {@link #fork(Callable)}: a fork into a cancelled scope returns a subtask
     * that never runs; a fork into a closed one throws {@link IllegalStateException}. Used by
     * {@code Shutdown.fork} (the application's threads fork services into the root scope) and by the HTTP
     * adapter (one task per exchange, forked from the server's dispatcher thread).
     */
    <U extends T> Subtask<U> forkService(String threadName, Callable<? extends U> task);

    /**
     * A task forked with {@link #forkService} that must hear when it will never run: its scope was cancelled
     * between the fork (which returned a subtask that was not {@code CANCELLED}) and the start of its thread, so the
     * engine ends the subtask {@code CANCELLED} without calling it. A request answers then (503), rather than go
     * unanswered and stay counted in flight. {@link #notRun()} is called once, in the subtask's thread, before the
     * subtask ends.
     *
     * @param <V> the result type
     */
    interface ServiceTask<V> extends Callable<V> {
        /** The task will not be called. */
        void notRun();
    }

    /** The number of subtasks of this scope whose threads have not finished. Used by the drain's outcome. */
    int runningCount();

    /** Running subtasks in this scope and all its descendants. Used by the cancel phase. */
    int totalRunning();

    /**
     * Waits, as the owner and without joining, until no subtask is running or {@code deadlineNanos}
     * ({@link Clocks#nanoTime()} terms) passes or {@code wake} returns true after an unpark; interrupts are
     * remembered and restored. Used by the drain and cancel phases.
     *
     * @return whether no subtask is running
     * @throws WrongThreadException if the caller is not the owner
     */
    boolean awaitNoRunning(long deadlineNanos, BooleanSupplier wake);

    /** Unparks the owner if it waits in {@link #awaitNoRunning}, to re-check its wake condition. Used by escalation. */
    void wakeOwner();

    /**
     * Every subtask thread still running in this scope and its descendants, with stacks. Used by the abandon
     * phase (and rehearsed by the warm-up).
     */
    List<Straggler> collectStragglers();

    /**
     * {@link #close()}, except that it does not wait for the threads of a cancelled scope any longer: what still
     * runs is recorded as stragglers at once. Used by the abandon phase, which has waited already (the cancel
     * grace, or what the budget left of it before the telemetry flush).
     */
    void closeWithoutWaiting();
}
