package dev.quiesce;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The policy that decides when {@link Scope#join()} returns and what it returns or throws, as in the
 * JDK's {@code StructuredTaskScope.Joiner}.
 *
 * <p>{@link #onFork} is called by the forking thread for every fork, before a thread is created, with the
 * subtask {@link Subtask.State#UNAVAILABLE UNAVAILABLE}, also when the scope is already cancelled (the
 * subtask then never runs); whatever it throws comes out of {@code fork()} and no thread is created.
 * {@link #onComplete} is called by each subtask's thread as it completes with a result or an exception,
 * concurrently, and not for a subtask that completes after the scope was cancelled; whatever it throws
 * goes, as in the JDK, to that thread's {@linkplain Thread.UncaughtExceptionHandler uncaught-exception
 * handler} and leaves the scope alone. Either method may return {@code true} to cancel the scope (reason
 * {@link CancelReason.SubtaskFailed} when the subtask failed, otherwise {@link CancelReason.Completed}).
 * {@link #result()} is called once, by the owner, after all subtasks have completed or the joiner
 * cancelled the scope. Whatever {@code result()} throws reaches the caller of {@code join()} as the cause
 * of a {@link FailedException}, with the scope's other failures suppressed.
 *
 * <p>Implementations must be thread-safe. Create a new joiner for each scope: the built-in joiners are
 * one-scope objects, and opening a second scope with one throws {@link IllegalStateException}.
 *
 * <p>The default methods, and every built-in joiner, throw {@link NullPointerException} for a
 * {@code null} subtask and {@link IllegalArgumentException} for a subtask in the wrong state (see each
 * method).
 *
 * @param <T> the result type of the subtasks
 * @param <R> the result type of {@code join()}
 */
public interface Joiner<T, R> {

    /**
     * Called by {@code fork()} for every subtask forked, before a thread is created for it, even when the
     * scope is already cancelled. Not to be called directly.
     *
     * <p>The default implementation throws {@link NullPointerException} if {@code subtask} is {@code null},
     * {@link IllegalArgumentException} if it is not {@link Subtask.State#UNAVAILABLE UNAVAILABLE}, and
     * otherwise returns {@code false}.
     *
     * @return {@code true} to cancel the scope
     */
    default boolean onFork(Subtask<? extends T> subtask) {
        Joiners.checkForked(subtask);
        return false;
    }

    /**
     * Called by a subtask's thread when the subtask completes with a result or an exception, unless the
     * scope was cancelled before. Not to be called directly.
     *
     * <p>The default implementation throws {@link NullPointerException} if {@code subtask} is {@code null},
     * {@link IllegalArgumentException} if it is {@link Subtask.State#UNAVAILABLE UNAVAILABLE}, and otherwise
     * returns {@code false}.
     *
     * @return {@code true} to cancel the scope
     */
    default boolean onComplete(Subtask<? extends T> subtask) {
        Joiners.checkCompleted(subtask);
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
