package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShieldTest {

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aShieldedRegion_isNotInterruptedByCancel_andTheInterruptArrivesWhenItEnds(Threads threads)
            throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var inShield = new CountDownLatch(1);
        var finishPersisting = new CountDownLatch(1);
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            scope.fork(() -> {
                Shield.run(Duration.ofSeconds(20), () -> {
                    inShield.countDown();
                    finishPersisting.await(); // would throw at once if cancel interrupted us
                    events.add("persisted");
                });
                events.add("after shield, interrupted=" + Thread.currentThread().isInterrupted());
                sleepForever(); // the pending interrupt ends this at once
                return null;
            });
            inShield.await();
            scope.cancel();
            finishPersisting.countDown();
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
        assertThat(events).containsExactly("persisted", "after shield, interrupted=true");
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aShieldedRegion_endsAtItsBudget(Threads threads) throws Exception {
        var outcome = new CopyOnWriteArrayList<Throwable>();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            scope.fork(() -> {
                try {
                    Shield.run(Duration.ofMillis(50), Threads::sleepForever);
                } catch (DeadlineExceededException e) {
                    outcome.add(e);
                }
                outcome.add(new RuntimeException("interrupted=" + Thread.currentThread().isInterrupted()));
                return null;
            });
            scope.join();
        }
        assertThat(outcome).hasSize(2);
        assertThat(outcome.get(0)).isInstanceOf(DeadlineExceededException.class)
                .hasMessageContaining("budget of 50 ms").hasCauseInstanceOf(InterruptedException.class);
        // the budget's own interrupt does not leak past the region
        assertThat(outcome.get(1)).hasMessage("interrupted=false");
    }

    @Test
    void anInterruptStatusSetBeforeTheRegion_isClearedInsideAndRestoredAfter() throws Exception {
        Thread.currentThread().interrupt();
        var insideInterrupted = new AtomicBoolean(true);
        String result = Shield.call(Duration.ofSeconds(10), () -> {
            insideInterrupted.set(Thread.currentThread().isInterrupted());
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(insideInterrupted).isFalse();
        assertThat(Thread.interrupted()).isTrue();
    }

    @Test
    void withoutABudget_theScopesRemainingTimeBoundsTheRegion() throws Exception {
        assertThatThrownBy(() -> Shield.run(() -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("pass a budget");
        try (var scope = Scope.open(Joiner.awaitAll())) {
            assertThatThrownBy(() -> Shield.run(() -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("has none");
            scope.join();
        }
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(), c -> c.withTimeout(Duration.ofHours(1)))) {
            Subtask<String> s = scope.fork(() -> Shield.call(() -> "saved"));
            scope.join();
            assertThat(s.get()).isEqualTo("saved");
        }
    }

    @Test
    void badBudgets_areRefusedWithAMessageThatSaysWhatToPass() {
        assertThatThrownBy(() -> Shield.run(Duration.ZERO, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> Shield.run(Duration.ofSeconds(-1), () -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Shield.run(Duration.ofSeconds(1), null)).isInstanceOf(NullPointerException.class);
    }
}
