package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StragglerTest {

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
        try (var s = Scope.open(Joiner.awaitAll(), threads.cfg(c -> c.withName("stubborn")
                .withCloseTimeout(Duration.ofMillis(100))))) {
            scope = s;
            s.fork(() -> {
                started.countDown();
                ignoreInterruptsUntil(stop, interrupted);
            });
            s.fork(() -> "well-behaved");
            started.await();
            s.cancel(CancelReason.explicit("shutting down"));
            assertThatThrownBy(s::join).isInstanceOf(CancelledException.class);
        } // close() returns at its timeout although the task still runs
        try {
            assertThat(interrupted.getCount()).isZero();
            assertThat(scope.stragglers()).singleElement().satisfies(st -> {
                assertThat(st.scopePath()).isEqualTo("/stubborn");
                assertThat(st.sinceInterrupt()).isPresent();
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
        var scope = Scope.open(Joiner.awaitAll(), threads.cfg(c -> c.withCloseTimeout(Duration.ofMillis(50))));
        scope.fork(() -> {
            started.countDown();
            ignoreInterruptsUntil(stop, new CountDownLatch(1));
        });
        started.await();
        assertThatThrownBy(scope::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("owner did not join");
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
