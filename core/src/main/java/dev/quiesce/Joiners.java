package dev.quiesce;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/** The built-in joiners. */
final class Joiners {
    private Joiners() {}

    static final class AwaitAll<T> implements Joiner<T, Void> {
        @Override
        public Void result() {
            return null;
        }
    }

    /** Both all-successful joiners; {@code collect} keeps the subtasks for the result. */
    static final class AllSuccessful<T, R> implements Joiner<T, R> {
        private final boolean collect;
        private final ConcurrentLinkedQueue<Subtask<T>> forked = new ConcurrentLinkedQueue<>();
        private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

        AllSuccessful(boolean collect) {
            this.collect = collect;
        }

        @Override
        @SuppressWarnings("unchecked")
        public boolean onFork(Subtask<? extends T> subtask) {
            if (collect) {
                forked.add((Subtask<T>) subtask);
            }
            return false;
        }

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
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

    static final class AnySuccessful<T> implements Joiner<T, T> {
        private final AtomicReference<Subtask<? extends T>> firstSuccess = new AtomicReference<>();
        private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
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

    static final class AllUntil<T> implements Joiner<T, List<Subtask<T>>> {
        private final Predicate<? super Subtask<? extends T>> isDone;
        private final ConcurrentLinkedQueue<Subtask<T>> forked = new ConcurrentLinkedQueue<>();

        AllUntil(Predicate<? super Subtask<? extends T>> isDone) {
            this.isDone = isDone;
        }

        @Override
        @SuppressWarnings("unchecked")
        public boolean onFork(Subtask<? extends T> subtask) {
            forked.add((Subtask<T>) subtask);
            return false;
        }

        @Override
        public boolean onComplete(Subtask<? extends T> subtask) {
            return isDone.test(subtask);
        }

        @Override
        public List<Subtask<T>> result() {
            return List.copyOf(forked);
        }
    }
}
