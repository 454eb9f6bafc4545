package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MisuseTest {

    @ParameterizedTest
    @EnumSource(Threads.class)
    void nullTask_isRefused(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            assertThatThrownBy(() -> scope.fork((Callable<Object>) null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("task must not be null");
            assertThatThrownBy(() -> scope.fork((Runnable) null)).isInstanceOf(NullPointerException.class);
            scope.join();
        }
        assertThatThrownBy(() -> Scope.open(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("Joiner.awaitAll()");
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void forkAfterClose_isRefused(Threads threads) throws Exception {
        var scope = Scope.open(Joiner.awaitAll(), threads.named("done"));
        scope.join();
        scope.close();
        assertThatThrownBy(() -> scope.fork(() -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/done is closed");
        scope.close(); // idempotent
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void joinTwice_andForkAfterJoin_areRefused(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            scope.fork(() -> 1);
            scope.join();
            assertThatThrownBy(scope::join).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already called");
            assertThatThrownBy(() -> scope.fork(() -> 2)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("fork every subtask before join()");
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void joinAndClose_fromAnotherThread_areRefused(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), threads.named("owned"))) {
            var started = new CountDownLatch(1);
            scope.fork(() -> {
                started.countDown();
                sleepForever();
                return null;
            });
            started.await();
            var fromOther = CompletableFuture.supplyAsync(() -> {
                Throwable join = catchThrowable(scope::join);
                Throwable close = catchThrowable(scope::close);
                Throwable fork = catchThrowable(() -> scope.fork(() -> 1));
                return new Throwable[] {join, close, fork};
            }, r -> Thread.ofPlatform().start(r)).get();
            assertThat(fromOther[0]).isInstanceOf(WrongThreadException.class)
                    .hasMessageContaining("join()").hasMessageContaining("only its owner");
            assertThat(fromOther[1]).isInstanceOf(WrongThreadException.class).hasMessageContaining("close()");
            assertThat(fromOther[2]).isInstanceOf(WrongThreadException.class)
                    .hasMessageContaining("neither its owner");
            assertThat(scope.isCancelled()).isFalse(); // misuse changed nothing
            scope.cancel();
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void closingAParentBeforeItsChild_throwsAfterClosingBoth(Threads threads) throws Exception {
        var outer = Scope.open(Joiner.awaitAll(), threads.named("outer"));
        var inner = Scope.open(Joiner.awaitAll(), threads.named("inner"));
        var started = new CountDownLatch(1);
        Subtask<Object> innerTask = inner.fork(() -> {
            started.countDown();
            sleepForever();
            return null;
        });
        started.await();
        assertThatThrownBy(outer::close).isInstanceOf(StructureViolationException.class)
                .hasMessageContaining("/outer/inner").hasMessageContaining("close the innermost scope first");
        assertThat(innerTask.state()).isEqualTo(Subtask.State.CANCELLED);
        assertThat(Scope.find()).isEmpty();
        inner.close(); // already closed: no-op
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aTaskThatReturnsWithAScopeStillOpen_hasItClosed_andTheViolationRecorded(Threads threads) throws Exception {
        var leakedTask = new java.util.concurrent.atomic.AtomicReference<Thread>();
        var started = new CountDownLatch(1);
        try (var scope = Scope.open(Joiner.awaitAll(), threads.named("outer"))) {
            scope.fork(() -> {
                var leaked = Scope.open(Joiner.awaitAll(), threads.named("leaked")); // never closed: the bug
                leaked.fork(() -> {
                    leakedTask.set(Thread.currentThread());
                    started.countDown();
                    sleepForever();
                    return null;
                });
                started.await();
                return "returned without closing";
            });
            scope.join();
            assertThat(scope.failures()).singleElement().isInstanceOf(StructureViolationException.class)
                    .satisfies(e -> assertThat(e.getMessage()).contains("/outer/leaked").contains("try-with-resources"));
        }
        leakedTask.get().join(); // the leaked scope's task was cancelled and ended: no thread outlives its task
        assertThat(Scope.snapshotAll()).extracting(ScopeSnapshot::path).doesNotContain("/outer");
    }

    @Test
    void badConfiguration_isRefusedWithAMessageThatSaysWhatToChange() {
        assertThatThrownBy(() -> ScopeConfig.defaults().withTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> ScopeConfig.defaults().withTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScopeConfig.defaults().withCloseTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("close timeout");
        assertThatThrownBy(() -> ScopeConfig.defaults().withName("a/b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'/'");
        assertThatThrownBy(() -> ScopeConfig.defaults().withName(" "))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScopeConfig.defaults().withThreadFactory(null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Scope.open(Joiner.awaitAll(), c -> null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("configure returned null");
        assertThat(Scope.find()).isEmpty(); // nothing half-opened
    }

    @Test
    void currentOutsideAnyScope_saysWhatToDo() {
        assertThatThrownBy(Scope::current).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Scope.find()");
    }

    private static Throwable catchThrowable(ThrowingRunnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
