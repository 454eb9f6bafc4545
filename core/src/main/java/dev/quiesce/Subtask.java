package dev.quiesce;

import java.util.function.Supplier;

/**
 * A task forked into a {@link Scope} with {@link Scope#fork(java.util.concurrent.Callable)}, running in
 * its own thread. It is read by the owner after {@link Scope#join()} and may be cancelled on its own
 * with {@link #cancel()}, which the JDK's {@code StructuredTaskScope.Subtask} does not offer.
 *
 * <p>Instances are thread-safe. The state becomes final when the task's thread finishes the task; a
 * subtask forked after its scope was cancelled never runs and is {@link State#CANCELLED}.
 *
 * @param <T> the result type
 */
public sealed interface Subtask<T> extends Supplier<T> permits dev.quiesce.internal.SubtaskImpl {

    /** The state of a subtask. */
    enum State {
        /** Not completed yet (or abandoned as a straggler). */
        UNAVAILABLE,
        /** Completed with a result, available from {@link #get()}. */
        SUCCESS,
        /** Completed with an exception that was not caused by cancellation, available from {@link #exception()}. */
        FAILED,
        /**
         * Did not run, or stopped because it or its scope was cancelled (it ended with an interrupt-caused
         * exception after cancellation).
         */
        CANCELLED
    }

    /** The current state. */
    State state();

    /**
     * The result of a {@link State#SUCCESS successful} subtask.
     *
     * @throws IllegalStateException if the subtask has not completed successfully; check {@link #state()}
     *     first, or call this after {@link Scope#join()}
     */
    @Override
    T get();

    /**
     * The exception of a {@link State#FAILED failed} subtask.
     *
     * @throws IllegalStateException if the subtask has not failed
     */
    Throwable exception();

    /**
     * Cancels this subtask alone: if it has not started it never runs; if it is running its thread is
     * interrupted. Siblings and the scope are not affected, and a cancelled subtask never counts as a
     * failure. Idempotent and callable from any thread.
     *
     * @return {@code true} if this call cancelled a subtask that had not completed
     */
    boolean cancel();

    /** The scope this subtask was forked into. */
    Scope<?, ?> scope();
}
