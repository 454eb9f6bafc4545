package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Deadlines, close timeouts and shield budgets in virtual time: an hour passes when the test says so. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class VirtualTimeDeadlineTest {
    private static final Duration REAL = SystemClockAfterEach.PATIENCE;

    @Test
    void aScopeWithAnHourTimeout_isCancelledForItsDeadline_whenTheClockIsAdvancedAnHour_andJoinReturnsThen()
            throws Exception {
        var clock = new ManualClock();
        var outcome = new AtomicReference<Throwable>();
        var remainingBefore = new AtomicReference<Duration>();
        try (var _ = clock.install()) {
            Thread owner = Thread.ofPlatform().name("owner").start(() -> {
                try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("hour").withTimeout(Duration.ofHours(1)))) {
                    scope.fork(() -> {
                        sleepForever();
                        return null;
                    });
                    remainingBefore.set(scope.remaining());
                    scope.join();
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            // the owner parks in join() until the deadline, in the clock's time
            assertThat(clock.awaitWaiter(Duration.ofHours(1), REAL)).isSameAs(owner);
            clock.advance(Duration.ofMinutes(59));
            assertThat(owner.join(Duration.ofMillis(20))).as("joined before the deadline").isFalse();
            clock.advance(Duration.ofMinutes(1));
            assertThat(owner.join(REAL)).as("join() returned once the hour had passed").isTrue();
        }
        assertThat(remainingBefore.get()).isEqualTo(Duration.ofHours(1));
        assertThat(outcome.get()).isInstanceOf(DeadlineExceededException.class);
        var reason = ((CancelledException) outcome.get()).reason();
        assertThat(reason).isInstanceOfSatisfying(CancelReason.Deadline.class, d -> {
            assertThat(d.scopePath()).isEqualTo("/hour");
            assertThat(d.deadline()).isEqualTo(clock.instantAt(Duration.ofHours(1)));
        });
    }

    @Test
    void closeWaitsItsCloseTimeoutInTheClocksTime_thenAbandonsTheStraggler_withItsVirtualAge() throws Exception {
        var clock = new ManualClock();
        var stragglers = new AtomicReference<java.util.List<Straggler>>();
        var stubbornStarted = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        try (var _ = clock.install()) {
            Thread owner = Thread.ofPlatform().name("owner").start(() -> {
                var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("stubborn")
                        .withCloseTimeout(Duration.ofMinutes(10)));
                scope.fork(() -> {
                    stubbornStarted.countDown();
                    while (release.getCount() > 0) {
                        try {
                            release.await();
                        } catch (InterruptedException ignored) {
                            // ignores the cancellation: a straggler
                        }
                    }
                    return null;
                });
                Threads.awaitTrue(() -> stubbornStarted.getCount() == 0);
                scope.cancel(CancelReason.explicit("test"));
                try {
                    scope.join(); // waits for the interrupted thread, up to the close timeout
                } catch (CancelledException | InterruptedException expected) {
                    // cancelled, as asked
                }
                scope.close();
                stragglers.set(scope.stragglers());
            });
            assertThat(clock.awaitWaiter(Duration.ofMinutes(10), REAL)).isSameAs(owner);
            clock.advance(Duration.ofMinutes(10));
            assertThat(owner.join(REAL)).isTrue();
            release.countDown();
        }
        assertThat(stragglers.get()).singleElement().satisfies(s -> {
            assertThat(s.scopePath()).isEqualTo("/stubborn");
            assertThat(s.sinceInterrupt()).hasValue(Duration.ofMinutes(10));
        });
    }

    @Test
    void aShieldedRegion_isInterruptedAtTheEndOfItsBudget_inTheClocksTime() throws Exception {
        var clock = new ManualClock();
        var outcome = new AtomicReference<Throwable>();
        try (var _ = clock.install()) {
            Thread owner = Thread.ofPlatform().name("owner").start(() -> {
                try (var scope = Scope.open(Joiner.awaitAll())) {
                    var t = scope.fork(() -> Shield.call(Duration.ofMinutes(5), () -> {
                        sleepForever();
                        return null;
                    }));
                    scope.join();
                    outcome.set(t.exception());
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            Threads.awaitTrue(() -> clock.pendingActions() == 1); // the budget's timer
            clock.advance(Duration.ofMinutes(4));
            assertThat(owner.join(Duration.ofMillis(20))).isFalse();
            clock.advance(Duration.ofMinutes(1));
            assertThat(owner.join(REAL)).isTrue();
        }
        assertThat(outcome.get()).isInstanceOfSatisfying(DeadlineExceededException.class, e -> assertThat(
                e.reason()).isInstanceOfSatisfying(CancelReason.Deadline.class,
                        d -> assertThat(d.deadline()).isEqualTo(clock.instantAt(Duration.ofMinutes(5)))));
    }
}
