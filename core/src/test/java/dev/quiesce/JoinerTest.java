package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JoinerTest {

    @ParameterizedTest
    @EnumSource(Threads.class)
    void allSuccessfulOrThrow_returnsTheSubtasksInForkOrder(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.<Integer>allSuccessfulOrThrow(), threads.cfg())) {
            var release = new CountDownLatch(1);
            scope.fork(() -> {
                release.await(); // finishes last
                return 1;
            });
            scope.fork(() -> 2);
            scope.fork(() -> {
                release.countDown();
                return 3;
            });
            assertThat(scope.join()).extracting(Subtask::get).containsExactly(1, 2, 3);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void open_defaultsToAwaitAllSuccessful_andReturnsNull(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), threads.cfg())) {
            Subtask<Object> a = scope.fork(() -> "a");
            assertThat(scope.join()).isNull();
            assertThat(a.get()).isEqualTo("a");
        }
        try (var scope = Scope.open()) {
            scope.fork(() -> "b");
            assertThat(scope.join()).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void firstFailure_cancelsSiblings_isTheCause_andLaterRealFailuresAreSuppressed(Threads threads) throws Exception {
        var first = new IllegalStateException("first");
        var cleanupFailure = new UncheckedIOException(new IOException("flush failed during cancellation"));
        var siblingsBlocked = new CountDownLatch(2);
        try (var scope = Scope.open(Joiner.<Object>awaitAllSuccessfulOrThrow(), threads.named("fail"))) {
            // interrupted, ends with InterruptedException: a consequence of the cancellation, not a failure
            Subtask<Object> quiet = scope.fork(() -> {
                siblingsBlocked.countDown();
                sleepForever();
                return null;
            });
            // interrupted, then fails for a reason of its own: must not be lost
            Subtask<Object> noisy = scope.fork(() -> {
                siblingsBlocked.countDown();
                try {
                    sleepForever();
                } catch (InterruptedException e) {
                    throw cleanupFailure;
                }
                return null;
            });
            siblingsBlocked.await();
            scope.fork(() -> {
                throw first;
            });

            assertThatThrownBy(scope::join).isInstanceOfSatisfying(FailedException.class, e -> {
                assertThat(e.getCause()).isSameAs(first);
                assertThat(e.getSuppressed()).containsExactly(cleanupFailure);
            });
            assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.SubtaskFailed.class);
            assertThat(quiet.state()).isEqualTo(Subtask.State.CANCELLED);
            assertThat(noisy.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(scope.failures()).containsExactly(first, cleanupFailure);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void concurrentFailures_oneIsTheCause_theOthersSuppressed_noneLost(Threads threads) throws Exception {
        int n = 20;
        var go = new CountDownLatch(1);
        var thrown = new AtomicInteger();
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), threads.cfg())) {
            for (int i = 0; i < n; i++) {
                int id = i;
                scope.fork(() -> {
                    // Wait without being interruptible, so that every task fails for real.
                    while (go.getCount() > 0) {
                        Thread.onSpinWait();
                    }
                    thrown.incrementAndGet();
                    throw new IllegalArgumentException("failure " + id);
                });
            }
            go.countDown();
            // Tasks that had not started when the first failure cancelled the scope never run; every
            // task that did run and throw must be accounted for.
            assertThatThrownBy(scope::join).isInstanceOfSatisfying(FailedException.class, e -> {
                assertThat(e.getSuppressed()).hasSize(thrown.get() - 1).doesNotContain(e.getCause());
                assertThat(scope.failures()).hasSize(thrown.get());
                assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void awaitAll_isASupervisor_failuresDoNotCancelSiblings(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.<String>awaitAll(), threads.cfg())) {
            var failed = new CountDownLatch(1);
            Subtask<String> bad = scope.fork(() -> {
                failed.countDown();
                throw new IllegalStateException("boom");
            });
            Subtask<String> good = scope.fork(() -> {
                failed.await(); // runs on after its sibling failed
                return "ok";
            });
            assertThat(scope.join()).isNull();
            assertThat(scope.isCancelled()).isFalse();
            assertThat(good.get()).isEqualTo("ok");
            assertThat(bad.state()).isEqualTo(Subtask.State.FAILED);
            assertThat(bad.exception()).hasMessage("boom");
            assertThat(scope.failures()).containsExactly(bad.exception());
            assertThatThrownBy(bad::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("FAILED");
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void anySuccessful_returnsTheFirstSuccess_andCancelsTheRest(Threads threads) throws Exception {
        var slowInterrupted = new CountDownLatch(1);
        try (var scope = Scope.open(Joiner.<String>anySuccessfulResultOrThrow(), threads.cfg())) {
            var slowStarted = new CountDownLatch(1);
            scope.fork(() -> {
                slowStarted.countDown();
                try {
                    sleepForever();
                } catch (InterruptedException e) {
                    slowInterrupted.countDown();
                    throw e;
                }
                return "slow";
            });
            scope.fork(() -> {
                throw new IllegalStateException("a failure does not stop the race");
            });
            scope.fork(() -> {
                slowStarted.await();
                return "fast";
            });
            assertThat(scope.join()).isEqualTo("fast");
            assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.Completed.class);
        }
        assertThat(slowInterrupted.getCount()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void anySuccessful_withOnlyFailures_throwsTheFirst(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.<String>anySuccessfulResultOrThrow(), threads.cfg())) {
            scope.fork(() -> {
                throw new IllegalStateException("one");
            });
            scope.fork(() -> {
                throw new IllegalStateException("two");
            });
            // the cause is whichever failure the joiner saw first; the other is suppressed
            assertThatThrownBy(scope::join).isInstanceOfSatisfying(FailedException.class, e -> {
                String cause = e.getCause().getMessage();
                assertThat(cause).isIn("one", "two");
                assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly(cause.equals("one") ? "two" : "one");
            });
        }
        try (var empty = Scope.open(Joiner.<String>anySuccessfulResultOrThrow(), threads.cfg())) {
            assertThatThrownBy(empty::join).isInstanceOf(FailedException.class)
                    .hasCauseInstanceOf(NoSuchElementException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void allUntil_stopsWhenThePredicateHolds(Threads threads) throws Exception {
        try (var scope = Scope.open(
                Joiner.<Integer>allUntil(s -> s.state() == Subtask.State.SUCCESS && s.get() == 42), threads.cfg())) {
            var blocked = new CountDownLatch(1);
            scope.fork(() -> {
                blocked.countDown();
                sleepForever();
                return 0;
            });
            scope.fork(() -> {
                blocked.await();
                return 42;
            });
            List<Subtask<Integer>> all = scope.join();
            assertThat(all).hasSize(2);
            assertThat(all.get(0).state()).isEqualTo(Subtask.State.CANCELLED);
            assertThat(all.get(1).get()).isEqualTo(42);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void customJoiner_decidesWhenToStopAndWhatJoinReturns(Threads threads) throws Exception {
        // collects results until three have arrived, then cancels the rest
        class FirstThree implements Joiner<Integer, Integer> {
            final AtomicInteger sum = new AtomicInteger();
            final AtomicInteger count = new AtomicInteger();

            @Override
            public boolean onComplete(Subtask<? extends Integer> s) {
                if (s.state() != Subtask.State.SUCCESS) {
                    return false;
                }
                sum.addAndGet(s.get());
                return count.incrementAndGet() == 3;
            }

            @Override
            public Integer result() {
                return sum.get();
            }
        }
        try (var scope = Scope.open(new FirstThree(), threads.cfg())) {
            for (int i = 0; i < 3; i++) {
                scope.fork(() -> 10);
            }
            scope.fork(() -> {
                sleepForever();
                return 1000;
            });
            assertThat(scope.join()).isEqualTo(30);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void joinerThatThrows_isReportedAsTheCause(Threads threads) throws Exception {
        Joiner<Object, Object> broken = () -> {
            throw new IOException("joiner broke");
        };
        try (var scope = Scope.open(broken, threads.cfg())) {
            scope.fork(() -> 1);
            assertThatThrownBy(scope::join).isInstanceOf(FailedException.class).hasCauseInstanceOf(IOException.class);
        }
    }

    /** Every built-in joiner, fresh, and one that only has the default methods. */
    static List<Joiner<Object, ?>> everyJoiner() {
        return List.of(Joiner.awaitAll(), Joiner.awaitAllSuccessfulOrThrow(), Joiner.allSuccessfulOrThrow(),
                Joiner.anySuccessfulResultOrThrow(), Joiner.allUntil(s -> false), () -> null);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void everyJoiner_checksItsArgument(Threads threads) throws Exception {
        var release = new CountDownLatch(1);
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            Subtask<Object> running = scope.fork(() -> {
                release.await();
                return "late";
            });
            Subtask<Object> done = scope.fork(() -> "done");
            Threads.awaitTrue(() -> done.state() == Subtask.State.SUCCESS);
            for (Joiner<Object, ?> j : everyJoiner()) {
                assertThatThrownBy(() -> j.onFork(null)).as("%s.onFork(null)", j).isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> j.onComplete(null)).as("%s.onComplete(null)", j)
                        .isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> j.onFork(done)).as("%s.onFork(completed)", j)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UNAVAILABLE");
                assertThatThrownBy(() -> j.onComplete(running)).as("%s.onComplete(unavailable)", j)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has not completed");
            }
            release.countDown();
            scope.join();
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aBuiltInJoinerReusedForASecondScope_isRefusedAtOpen(Threads threads) throws Exception {
        for (Joiner<Object, ?> j : everyJoiner().subList(0, 5)) {
            try (var first = Scope.open(j, threads.named("first"))) {
                first.fork(() -> 1);
                first.join();
            }
            assertThatThrownBy(() -> Scope.open(j, threads.named("second"))).as("%s", j)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already belongs to scope /first")
                    .hasMessageContaining("create a new joiner for each scope");
            assertThat(Scope.find()).as("nothing half-opened").isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aBuiltInJoinerSharedByTwoOpenScopes_isRefused(Threads threads) throws Exception {
        Joiner<Object, List<Subtask<Object>>> shared = Joiner.allSuccessfulOrThrow();
        try (var first = Scope.open(shared, threads.named("a"))) {
            assertThatThrownBy(() -> Scope.open(shared, threads.named("b")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("create a new joiner");
            first.fork(() -> 1);
            assertThat(first.join()).hasSize(1); // the first scope's result is not mixed with another's
        }
    }
}
