package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadinessTest {

    static void awaitState(Thread t, Thread.State s) throws InterruptedException {
        while (t.getState() != s && t.isAlive()) {
            Thread.sleep(1);
        }
    }

    @Test
    void movesOnlyForward_andTellsListenersAndWaiters() throws Exception {
        var r = new Readiness();
        var seen = new CopyOnWriteArrayList<Readiness.State>();
        r.onChange(seen::add);
        assertThat(r.await(Readiness.State.SERVING, Duration.ofMillis(1))).isFalse();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                r.await(Readiness.State.DRAINING);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        awaitState(waiter, Thread.State.TIMED_WAITING);
        assertThat(r.advanceTo(Readiness.State.SERVING)).isTrue();
        assertThat(r.isReady()).isTrue();
        assertThat(r.advanceTo(Readiness.State.DRAINING)).isTrue();
        waiter.join();
        assertThat(r.advanceTo(Readiness.State.SERVING)).isFalse(); // never back
        assertThat(r.get()).isEqualTo(Readiness.State.DRAINING);
        assertThat(r.advanceTo(Readiness.State.STOPPED)).isTrue();
        assertThat(seen).containsExactly(Readiness.State.SERVING, Readiness.State.DRAINING, Readiness.State.STOPPED);
    }

    @Test
    void await_takesAnyTimeout_evenOneWhoseNanosecondsOverflow() throws Exception {
        var r = new Readiness();
        r.advanceTo(Readiness.State.SERVING);
        assertThat(r.await(Readiness.State.SERVING, Duration.ofSeconds(Long.MAX_VALUE))).isTrue();
        assertThat(r.await(Readiness.State.SERVING, Duration.ofSeconds(Long.MIN_VALUE))).isTrue();
    }
}
