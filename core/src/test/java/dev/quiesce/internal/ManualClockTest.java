package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The test clock itself: actions in order at their due times, waiters woken by an advance, install and close. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class ManualClockTest {
    private static final Duration REAL = SystemClockAfterEach.PATIENCE;

    @Test
    void advance_runsTheDueActionsInOrder_eachAtItsDueTime_andLeavesTheLaterOnesPending() {
        var clock = new ManualClock();
        List<String> ran = new CopyOnWriteArrayList<>();
        clock.schedule(() -> ran.add("3s at +" + clock.elapsed()), Duration.ofSeconds(3).toNanos());
        clock.schedule(() -> ran.add("1s at +" + clock.elapsed()), Duration.ofSeconds(1).toNanos());
        ScheduledFuture<?> cancelled = clock.schedule(() -> ran.add("2s"), Duration.ofSeconds(2).toNanos());
        clock.schedule(() -> ran.add("1s, second at +" + clock.elapsed()), Duration.ofSeconds(1).toNanos());
        clock.schedule(() -> ran.add("9s"), Duration.ofSeconds(9).toNanos());
        assertThat(cancelled.cancel(false)).isTrue();

        clock.advance(Duration.ofSeconds(5));

        assertThat(ran).containsExactly("1s at +PT1S", "1s, second at +PT1S", "3s at +PT3S");
        assertThat(clock.elapsed()).isEqualTo(Duration.ofSeconds(5));
        assertThat(clock.instant()).isEqualTo(clock.instantAt(Duration.ofSeconds(5)));
        assertThat(clock.pendingActions()).isEqualTo(1);
        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1))).hasMessageContaining("goes forward only");
    }

    @Test
    void everyKindOfTimedWait_endsWhenTheClockIsAdvancedPastItsDeadline() throws Exception {
        var clock = new ManualClock();
        var lock = new ReentrantLock();
        var condition = lock.newCondition();
        var parked = new AtomicBoolean();
        var conditionTimedOut = new AtomicBoolean();
        var latchTimedOut = new AtomicBoolean();
        long deadline = clock.nanoTimeAt(Duration.ofHours(1));
        Thread parker = Thread.ofVirtual().start(() -> {
            while (deadline - clock.nanoTime() > 0) {
                clock.parkNanos(this, deadline - clock.nanoTime());
            }
            parked.set(true);
        });
        Thread conditionWaiter = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                long left = Duration.ofHours(1).toNanos();
                while (left > 0) {
                    left = clock.awaitNanos(condition, left);
                }
                conditionTimedOut.set(true);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                lock.unlock();
            }
        });
        Thread latchWaiter = Thread.ofPlatform().start(() -> {
            try {
                latchTimedOut.set(!clock.await(new CountDownLatch(1), Duration.ofHours(1).toNanos()));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(clock.awaitWaiters(Duration.ofHours(1), 3, REAL))
                .contains(parker, conditionWaiter, latchWaiter);
        clock.advance(Duration.ofMinutes(59));
        assertThat(latchWaiter.join(Duration.ofMillis(50))).as("await() does not end before its time").isFalse();

        clock.advance(Duration.ofMinutes(1));
        for (Thread t : List.of(parker, conditionWaiter, latchWaiter)) {
            assertThat(t.join(REAL)).as(t.toString()).isTrue();
        }
        assertThat(parked).isTrue();
        assertThat(conditionTimedOut).isTrue();
        assertThat(latchTimedOut).isTrue();
    }

    @Test
    void aLatchThatOpens_endsTheWaitAtOnce_withoutAnAdvance() throws Exception {
        var clock = new ManualClock();
        var latch = new CountDownLatch(1);
        var opened = new AtomicBoolean();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                opened.set(clock.await(latch, Duration.ofDays(1).toNanos()));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        clock.awaitWaiter(Duration.ofDays(1), REAL);
        latch.countDown();
        assertThat(waiter.join(REAL)).isTrue();
        assertThat(opened).isTrue();
        assertThat(clock.elapsed()).isZero();
    }

    @Test
    void install_isProcessWide_untilClosed_andClosingHandsThePendingActionsToTheRestoredClock() throws Exception {
        var clock = new ManualClock();
        var ran = new CountDownLatch(1);
        try (var installed = clock.install()) {
            assertThat(Clocks.installed()).isSameAs(clock);
            assertThat(Clocks.nanoTime()).isEqualTo(clock.nanoTime());
            Clocks.schedule(ran::countDown, 1); // due in 1 ns of virtual time, which never comes
            var inner = new ManualClock().install();
            assertThatThrownBy(installed::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("close the handle of the clock installed last first");
            inner.close();
        }
        assertThat(ran.await(10, TimeUnit.SECONDS)).as("run by the system timer once handed over").isTrue();
        assertThat(clock.pendingActions()).isZero();
    }
}
