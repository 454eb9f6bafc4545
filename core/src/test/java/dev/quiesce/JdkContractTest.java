package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.internal.EngineScope;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Where Quiesce's scope keeps the contract of JDK 25's {@code StructuredTaskScope} (fork, the joiner's
 * callbacks, the thread factory, close without join). Deliberate differences are in
 * docs/adr/0005-differences-from-the-jdk.md.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JdkContractTest {

    /** A thread factory of the given kind that counts its calls and gives its threads {@code handler}. */
    static final class CountingFactory implements ThreadFactory {
        final AtomicInteger calls = new AtomicInteger();
        private final ThreadFactory inner;

        CountingFactory(Threads threads, Thread.UncaughtExceptionHandler handler) {
            this.inner = threads == Threads.VIRTUAL
                    ? Thread.ofVirtual().name("counted-v-", 0).uncaughtExceptionHandler(handler).factory()
                    : Thread.ofPlatform().daemon(true).name("counted-p-", 0).uncaughtExceptionHandler(handler).factory();
        }

        CountingFactory(Threads threads) {
            this(threads, (t, e) -> { });
        }

        @Override
        public Thread newThread(Runnable r) {
            calls.incrementAndGet();
            return inner.newThread(r);
        }
    }

    // ------------------------------------------------------------------ onFork

    @ParameterizedTest
    @EnumSource(Threads.class)
    void anExceptionFromOnFork_comesOutOfFork_andNoThreadIsCreated(Threads threads) throws Exception {
        var boom = new IllegalStateException("onFork failed");
        var factory = new CountingFactory(threads);
        var ran = new AtomicBoolean();
        Joiner<Object, String> joiner = new Joiner<>() {
            @Override
            public boolean onFork(Subtask<?> subtask) {
                throw boom;
            }

            @Override
            public String result() {
                return "joined";
            }
        };
        try (var scope = Scope.open(joiner, c -> c.withThreadFactory(factory))) {
            assertThatThrownBy(() -> scope.fork(() -> ran.set(true))).isSameAs(boom);
            assertThat(factory.calls).hasValue(0);
            assertThat(scope.isCancelled()).as("a failed fork leaves the scope alone").isFalse();
            assertThat(scope.join()).isEqualTo("joined");
        }
        assertThat(ran).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void onForkReturningTrue_cancelsTheScope_andTheSubtaskNeverRuns(Threads threads) throws Exception {
        var factory = new CountingFactory(threads);
        var ran = new AtomicBoolean();
        Joiner<Object, String> joiner = new Joiner<>() {
            @Override
            public boolean onFork(Subtask<?> subtask) {
                assertThat(subtask.state()).isEqualTo(Subtask.State.UNAVAILABLE);
                return true;
            }

            @Override
            public String result() {
                return "enough";
            }
        };
        try (var scope = Scope.open(joiner, c -> c.withThreadFactory(factory))) {
            Subtask<Object> s = scope.fork(() -> ran.set(true));
            assertThat(s.state()).isEqualTo(Subtask.State.CANCELLED);
            assertThat(factory.calls).hasValue(0);
            assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.Completed.class);
            assertThat(scope.join()).as("the joiner cancelled: join() returns its result").isEqualTo("enough");
        }
        assertThat(ran).isFalse();
    }

    /**
     * Regression: join() took a cancellation for the joiner's when its reason had the joiner's type (here a
     * caller's own Completed reason), so it returned the joiner's result for a scope the caller cancelled.
     */
    @ParameterizedTest
    @EnumSource(Threads.class)
    void aReasonTheJoinerDidNotGive_isNeverTakenForTheJoiners(Threads threads) throws Exception {
        Joiner<Object, String> cancelsOnFork = new Joiner<>() {
            @Override
            public boolean onFork(Subtask<?> subtask) {
                return true;
            }

            @Override
            public String result() {
                return "joiner's result";
            }
        };
        try (var scope = Scope.open(cancelsOnFork, threads.cfg())) {
            scope.cancel(new CancelReason.Completed("/the-caller-said-so"));
            scope.fork(() -> "never");
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
    }

    // ------------------------------------------------------------------ onComplete

    @ParameterizedTest
    @EnumSource(Threads.class)
    void anExceptionFromOnComplete_goesToTheThreadsUncaughtExceptionHandler_andLeavesTheScopeAlone(Threads threads)
            throws Exception {
        var boom = new IllegalStateException("onComplete failed");
        var handled = new AtomicReference<Throwable>();
        var handlerCalled = new CountDownLatch(1);
        var factory = new CountingFactory(threads, (t, e) -> {
            handled.set(e);
            handlerCalled.countDown();
        });
        var calls = new AtomicInteger();
        Joiner<String, String> joiner = new Joiner<>() {
            @Override
            public boolean onComplete(Subtask<? extends String> subtask) {
                if (calls.incrementAndGet() == 1) {
                    throw boom;
                }
                return false;
            }

            @Override
            public String result() {
                return "all done";
            }
        };
        try (var scope = Scope.open(joiner, c -> c.withThreadFactory(factory))) {
            Subtask<String> first = scope.fork(() -> "first");
            handlerCalled.await();
            Subtask<String> second = scope.fork(() -> "second");
            assertThat(scope.join()).isEqualTo("all done");
            assertThat(scope.isCancelled()).as("no cancel reason claims the scope completed").isFalse();
            assertThat(first.get()).isEqualTo("first");
            assertThat(second.get()).isEqualTo("second");
        }
        assertThat(handled.get()).isSameAs(boom);
    }

    // ------------------------------------------------------------------ fork into a cancelled or closed scope

    @ParameterizedTest
    @EnumSource(Threads.class)
    void forkIntoACancelledScope_createsNoThread_andTheTaskNeverRuns(Threads threads) throws Exception {
        var factory = new CountingFactory(threads);
        var ran = new AtomicBoolean();
        try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withThreadFactory(factory))) {
            scope.cancel();
            Subtask<Object> s = scope.fork(() -> ran.set(true));
            assertThat(s.state()).isEqualTo(Subtask.State.CANCELLED);
            assertThat(factory.calls).hasValue(0);
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
        assertThat(ran).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void forkIntoAClosedScope_throwsIllegalState_andCreatesNoThread(Threads threads) throws Exception {
        var factory = new CountingFactory(threads);
        Scope<Object, Void> scope;
        try (var s = Scope.open(Joiner.awaitAll(), c -> c.withThreadFactory(factory))) {
            scope = s;
        }
        assertThatThrownBy(() -> scope.fork(() -> "late")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(factory.calls).hasValue(0);
    }

    /**
     * Regression: a fork from a thread other than the owner (the shutdown's and the HTTP adapter's service
     * forks) checked the state, then raced close(), and started its thread in the closed scope.
     */
    @ParameterizedTest
    @EnumSource(Threads.class)
    void aServiceForkThatRacesClose_neverStartsAThreadInTheClosedScope(Threads threads) throws Exception {
        var inFactory = new CountDownLatch(1);
        var closed = new CountDownLatch(1);
        var ran = new AtomicBoolean();
        var inner = new CountingFactory(threads);
        ThreadFactory slow = r -> {
            inFactory.countDown();
            try {
                closed.await(); // the fork has checked the state; the owner closes now
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return inner.newThread(r);
        };
        var forkOutcome = new AtomicReference<Object>();
        Thread forker;
        try (var scope = (EngineScope<Object, Void>) Scope.open(Joiner.awaitAll(), c -> c.withThreadFactory(slow))) {
            forker = Thread.ofPlatform().start(() -> {
                try {
                    forkOutcome.set(scope.forkService("late", () -> {
                        ran.set(true);
                        return null;
                    }));
                } catch (Throwable t) {
                    forkOutcome.set(t);
                }
            });
            inFactory.await();
        }
        closed.countDown();
        forker.join();
        assertThat(forkOutcome.get()).isInstanceOf(IllegalStateException.class);
        assertThat(ran).isFalse();
    }

    // ------------------------------------------------------------------ the thread factory

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aThreadFactoryThatReturnsNull_rejectsTheFork(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withThreadFactory(r -> null))) {
            assertThatThrownBy(() -> scope.fork(() -> 1)).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("returned null");
            assertThat(scope.join()).isNull();
        }
    }

    // ------------------------------------------------------------------ close without join

    @ParameterizedTest
    @EnumSource(Threads.class)
    void closeByAnOwnerThatForkedAndNeverJoined_throwsIllegalState_afterCancellingAndWaiting(Threads threads)
            throws Exception {
        var started = new CountDownLatch(1);
        var scope = Scope.open(Joiner.awaitAll(), threads.cfg());
        Subtask<Object> task = scope.fork(() -> {
            started.countDown();
            sleepForever();
            return null;
        });
        started.await();
        assertThatThrownBy(scope::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("owner did not join after forking").hasMessageContaining("join() before close()");
        assertThat(task.state()).as("cancelled and waited for before the exception").isEqualTo(Subtask.State.CANCELLED);
        assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.Closed.class);
        scope.close(); // closed: idempotent, no second exception
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void closeWithoutJoin_isFine_whenNothingWasForked_orJoinWasCalled(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            assertThat(scope.isCancelled()).isFalse();
        }
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            scope.fork(() -> {
                sleepForever();
                return null;
            });
            Thread.currentThread().interrupt();
            assertThatThrownBy(scope::join).isInstanceOf(InterruptedException.class);
        } // join() was called, even though it threw: close() does not throw
    }

    @Test
    void aServiceScope_thatIsOnlyForkedIntoByOtherThreads_closesWithoutJoin() throws Exception {
        var ran = new CountDownLatch(1);
        try (var scope = (EngineScope<Object, Void>) Scope.open(Joiner.awaitAll())) {
            Thread.ofPlatform().start(() -> scope.forkService("exchange", () -> {
                ran.countDown();
                return null;
            })).join();
            ran.await();
        }
    }
}
