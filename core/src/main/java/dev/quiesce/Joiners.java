package dev.quiesce;

import dev.quiesce.internal.OneScopeJoiner;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** The built-in joiners, and the argument checks every joiner makes. */
final class Joiners {
    private Joiners() {}

    /** The check of {@link Joiner#onFork}: a subtask that is not null and has not completed. */
    static void checkForked(Subtask<?> subtask) {
        Objects.requireNonNull(subtask, "subtask must not be null; onFork is called by fork(), not directly");
        Subtask.State st = subtask.state();
        if (st != Subtask.State.UNAVAILABLE) {
            throw new IllegalArgumentException("onFork needs a subtask that has not completed (UNAVAILABLE), but "
                    + subtask + " is " + st + ": onFork is called by fork(), not directly");
        }
    }

    /** The check of {@link Joiner#onComplete}: a subtask that is not null and has completed. */
    static void checkCompleted(Subtask<?> subtask) {
        Objects.requireNonNull(subtask, "subtask must not be null; onComplete is called by the scope, not directly");
        if (subtask.state() == Subtask.State.UNAVAILABLE) {
            throw new IllegalArgumentException("onComplete needs a completed subtask, but " + subtask
                    + " has not completed: onComplete is called by the scope, not directly");
        }
    }

    /** A built-in joiner: it belongs to the first scope opened with it. */
    abstract static class OneScope<T, R> implements Joiner<T, R>, OneScopeJoiner {
        private final AtomicReference<String> scope = new AtomicReference<>();

        @Override
        public final String claim(String scopePath) {
            return scope.compareAndExchange(null, scopePath);
        }
    }

    static final class AwaitAll<T> extends OneScope<T, Void> {
        @Override
        public Void result() {
            return null;
        }
    }

    /** Both all-successful joiners; {@code collect} keeps the subtasks for the result. */
    static final class AllSuccessful<T, R> extends OneScope<T, R> {
        private final boolean collect;
        private final ConcurrentLinkedQueue<Subtask<T>> forked = new ConcurrentLinkedQueue<>();
        private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

        AllSuccessful(boolean collect) {
            this.collect = collect;
        }

        @Override
        @SuppressWarnings("unchecked")
        public boolean onFork(Subtask<? extends T> subtask) {
            checkForked(subtask);
            if (collect) {
                forked.add((Subtask<T>) subtask);
            }
            return false;
        }

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
            checkCompleted(subtask);
            if (subtask.state() == Subtask.State.FAILED) {
                firstFailure.compareAndSet(null, subtask.exception());
                return true;
            }
            return false;
        }

        @Override
        @SuppressWarnings("unchecked")
        public R result() throws Throwable {
            Throwable failure = firstFailure.get();
            if (failure != null) {
                throw failure;
            }
            if (!collect) {
                return null;
            }
            List<Subtask<T>> ok = new ArrayList<>();
            for (Subtask<T> s : forked) {
                if (s.state() == Subtask.State.SUCCESS) {
                    ok.add(s);
                }
            }
            return (R) List.copyOf(ok);
        }
    }

    static final class AnySuccessful<T> extends OneScope<T, T> {
        private final AtomicReference<Subtask<? extends T>> firstSuccess = new AtomicReference<>();
        private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
            checkCompleted(subtask);
            return switch (subtask.state()) {
                case SUCCESS -> firstSuccess.compareAndSet(null, subtask);
                case FAILED -> {
                    firstFailure.compareAndSet(null, subtask.exception());
                    yield false;
                }
                default -> false;
            };
        }

        @Override
        public T result() throws Throwable {
            Subtask<? extends T> success = firstSuccess.get();
            if (success != null) {
                return success.get();
            }
            Throwable failure = firstFailure.get();
            if (failure != null) {
                throw failure;
            }
            throw new NoSuchElementException(
                    "anySuccessfulResultOrThrow: no subtask succeeded or failed (none forked, or all cancelled)");
        }
    }

    static final class AllUntil<T> extends OneScope<T, List<Subtask<T>>> {
        private final Predicate<? super Subtask<? extends T>> isDone;
        private final ConcurrentLinkedQueue<Subtask<T>> forked = new ConcurrentLinkedQueue<>();

        AllUntil(Predicate<? super Subtask<? extends T>> isDone) {
            this.isDone = isDone;
        }

        @Override
        @SuppressWarnings("unchecked")
        public boolean onFork(Subtask<? extends T> subtask) {
            checkForked(subtask);
            forked.add((Subtask<T>) subtask);
            return false;
        }

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
            checkCompleted(subtask);
            return isDone.test(subtask);
        }

        @Override
        public List<Subtask<T>> result() {
            return List.copyOf(forked);
        }
    }
}
