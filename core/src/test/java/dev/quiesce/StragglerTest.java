package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Close timeouts run in virtual time: the owner waits exactly its close timeout, in the clock's time. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class StragglerTest {
    private static final Duration CLOSE_TIMEOUT = Duration.ofMinutes(10);

    /** A task that swallows every interrupt and only stops when told to. */
    static void ignoreInterruptsUntil(AtomicBoolean stop, CountDownLatch interrupted) {
        while (!stop.get()) {
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                interrupted.countDown(); // swallowed on purpose: this is the bug being tolerated
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aTaskThatIgnoresInterrupts_doesNotHangClose_andIsReportedWithItsStack(Threads threads) throws Exception {
        var stop = new AtomicBoolean();
        var started = new CountDownLatch(1);
        var interrupted = new CountDownLatch(1);
        Scope<Object, Void> scope;
        var clock = new ManualClock();
        try (var _ = clock.install()) {
            FutureTask<Void> advance;
            try (var s = Scope.open(Joiner.awaitAll(), threads.cfg(c -> c.withName("stubborn")
                    .withCloseTimeout(CLOSE_TIMEOUT)))) {
                scope = s;
                s.fork(() -> {
                    started.countDown();
                    ignoreInterruptsUntil(stop, interrupted);
                });
                Subtask<String> wellBehaved = s.fork(() -> "well-behaved");
                started.await();
                s.cancel(CancelReason.explicit("shutting down"));
                // join() waits for the interrupted task until the close timeout, counted from the cancel
                advance = Threads.advanceWhenAwaited(clock, () -> wellBehaved.state() != Subtask.State.UNAVAILABLE,
                        CLOSE_TIMEOUT);
                assertThatThrownBy(s::join).isInstanceOf(CancelledException.class);
            } // close() returns at its timeout although the task still runs
            advance.get();
        }
        try {
            assertThat(interrupted.getCount()).isZero();
            assertThat(scope.stragglers()).singleElement().satisfies(st -> {
                assertThat(st.scopePath()).isEqualTo("/stubborn");
                assertThat(st.sinceInterrupt()).hasValue(CLOSE_TIMEOUT);
                assertThat(st.stack()).anySatisfy(frame ->
                        assertThat(frame.getMethodName()).isEqualTo("ignoreInterruptsUntil"));
                assertThat(st.virtual()).isEqualTo(threads == Threads.VIRTUAL);
                assertThat(st.describe()).contains("/stubborn").contains("ignoreInterruptsUntil");
            });
            // join() gave up on it, then close() found it still running: logged once, not by both
            assertThat(dev.quiesce.internal.EngineProbe.stragglersLogged(scope)).isEqualTo(1);
        } finally {
            stop.set(true);
            interrupted.countDown();
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void closeWithoutJoin_alsoBoundsTheWait(Threads threads) throws Exception {
        var stop = new AtomicBoolean();
        var started = new CountDownLatch(1);
        var clock = new ManualClock();
        Scope<Object, Void> scope;
        try (var _ = clock.install()) {
            scope = Scope.open(Joiner.awaitAll(), threads.cfg(c -> c.withCloseTimeout(CLOSE_TIMEOUT)));
            scope.fork(() -> {
                started.countDown();
                ignoreInterruptsUntil(stop, new CountDownLatch(1));
            });
            started.await();
            var advance = Threads.advanceWhenAwaited(clock, () -> true, CLOSE_TIMEOUT);
            assertThatThrownBy(scope::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("owner did not join");
            advance.get();
        }
        stop.set(true);
        assertThat(scope.stragglers()).hasSize(1);
        assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.Closed.class);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void anInterruptedOwner_stillWaitsInClose_andKeepsItsInterruptStatus(Threads threads) throws Exception {
        var release = new CountDownLatch(1);
        var started = new CountDownLatch(1);
        var taskDone = new AtomicBoolean();
        var s = Scope.open(Joiner.awaitAll(), threads.cfg());
        s.fork(() -> {
            started.countDown();
            for (;;) {
                try {
                    release.await();
                    break;
                } catch (InterruptedException e) {
                    // keep waiting: cleanup takes as long as it takes
                }
            }
            taskDone.set(true);
        });
        started.await();
        // interrupt ourselves (the owner), then let the task finish from another thread
        Thread.ofPlatform().start(() -> {
            Threads.awaitTrue(() -> s.isCancelled());
            release.countDown();
        });
        Thread.currentThread().interrupt();
        // close without join: cancels, waits for the task despite the interrupt, then reports the missing join
        assertThatThrownBy(s::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("owner did not join");
        assertThat(taskDone).isTrue();
        assertThat(Thread.interrupted()).isTrue(); // restored, and cleared here
    }
}
