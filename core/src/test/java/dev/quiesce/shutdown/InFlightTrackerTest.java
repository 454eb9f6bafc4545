package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InFlightTrackerTest {

    @Test
    void countsExactly_underConcurrency_andTicketsCloseOnce() throws Exception {
        var tracker = new InFlightTracker();
        int n = 10_000;
        var go = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                pool.submit(() -> {
                    go.await();
                    var t = tracker.enter();
                    t.close();
                    t.close(); // idempotent
                    return null;
                });
            }
            go.countDown();
        }
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.entered()).isEqualTo(n);
        assertThat(tracker.completed()).isEqualTo(n);
    }

    @Test
    void awaitIdle_returnsWhenTheLastTicketCloses_orFalseAtTheTimeout() throws Exception {
        var tracker = new InFlightTracker();
        assertThat(tracker.awaitIdle(Duration.ofMillis(1))).isTrue();
        var ticket = tracker.enter();
        assertThat(tracker.awaitIdle(Duration.ofMillis(20))).isFalse();
        var waiting = new CountDownLatch(1);
        var result = new java.util.concurrent.atomic.AtomicBoolean();
        Thread waiter = Thread.ofPlatform().start(() -> {
            waiting.countDown();
            try {
                result.set(tracker.awaitIdle(Duration.ofMinutes(1)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiting.await();
        dev.quiesce.shutdown.ReadinessTest.awaitState(waiter, Thread.State.TIMED_WAITING);
        ticket.close();
        waiter.join();
        assertThat(result).isTrue();
    }
}
