package dev.quiesce;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The policy that decides when {@link Scope#join()} returns and what it returns or throws, as in the
 * JDK's {@code StructuredTaskScope.Joiner}.
 *
 * <p>{@link #onFork} is called by the forking thread, {@link #onComplete} by each subtask's thread as
 * it completes, concurrently; either may return {@code true} to cancel the scope (reason
 * {@link CancelReason.SubtaskFailed} when the completing subtask failed, otherwise
 * {@link CancelReason.Completed}). Neither is called once the scope has been cancelled. {@link #result()}
 * is called once, by the owner, after all subtasks have completed or the joiner cancelled the scope.
 * Whatever {@code result()} throws reaches the caller of {@code join()} as the cause of a
 * {@link FailedException}, with the scope's other failures suppressed.
 *
 * <p>Implementations must be thread-safe. The built-in joiners are, and each is for one scope only.
 *
 * @param <T> the result type of the subtasks
 * @param <R> the result type of {@code join()}
 */
public interface Joiner<T, R> {

    /**
     * Called when a subtask is forked, before it starts.
     *
     * @return {@code true} to cancel the scope
     */
    default boolean onFork(Subtask<? extends T> subtask) {
        Objects.requireNonNull(subtask);
        return false;
    }

    /**
     * Called when a subtask completes, from the subtask's thread.
     *
     * @return {@code true} to cancel the scope
     */
    default boolean onComplete(Subtask<? extends T> subtask) {
        Objects.requireNonNull(subtask);
        return false;
    }

    /**
     * The result of {@code join()}.
     *
     * @throws Throwable the failure that {@code join()} reports as a {@link FailedException}'s cause
     */
    R result() throws Throwable;

    /**
     * The supervisor policy: waits for every subtask; a failure never cancels its siblings. {@code join()}
     * returns {@code null}; each subtask's outcome is read from the subtask and all failures from
     * {@link Scope#failures()}.
     */
    static <T> Joiner<T, Void> awaitAll() {
        return new Joiners.AwaitAll<>();
    }

    /**
     * Waits for every subtask to succeed; the first failure cancels the rest and {@code join()} throws a
     * {@link FailedException} with that failure as its cause. {@code join()} returns {@code null}. This
     * is the policy of {@link Scope#open()}.
     */
    static <T> Joiner<T, Void> awaitAllSuccessfulOrThrow() {
        return new Joiners.AllSuccessful<T, Void>(false);
    }

    /**
     * Like {@link #awaitAllSuccessfulOrThrow()}, but {@code join()} returns the successful subtasks in
     * fork order. Subtasks cancelled individually with {@link Subtask#cancel()} are left out.
     */
    static <T> Joiner<T, List<Subtask<T>>> allSuccessfulOrThrow() {
        return new Joiners.AllSuccessful<T, List<Subtask<T>>>(true);
    }

    /**
     * Returns the result of the first subtask to succeed and cancels the rest. If none succeeds,
     * {@code join()} throws a {@link FailedException} whose cause is the first failure (or
     * {@link java.util.NoSuchElementException} if no subtask failed either, e.g. none was forked).
     */
    static <T> Joiner<T, T> anySuccessfulResultOrThrow() {
        return new Joiners.AnySuccessful<>();
    }

    /**
     * Waits until {@code isDone} returns {@code true} for a completed subtask (which cancels the rest) or
     * every subtask has completed. Failures do not cancel. {@code join()} returns every subtask in fork
     * order, in whatever state each ended.
     */
    static <T> Joiner<T, List<Subtask<T>>> allUntil(Predicate<? super Subtask<? extends T>> isDone) {
        Objects.requireNonNull(isDone, "isDone predicate must not be null");
        return new Joiners.AllUntil<>(isDone);
    }
}
