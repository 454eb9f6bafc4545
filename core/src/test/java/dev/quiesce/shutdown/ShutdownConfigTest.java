package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad configuration is refused when the shutdown starts, with a message that says what to change. */
class ShutdownConfigTest {

    @Test
    void zeroOrNegativeDurations_areRefused() {
        assertThatThrownBy(() -> Shutdown.builder().gracePeriod(Duration.ZERO).signals().start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grace period must be positive");
        assertThatThrownBy(() -> Shutdown.builder().cancelGrace(Duration.ofSeconds(-1)).signals().start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cancel grace");
        assertThatThrownBy(() -> Shutdown.builder().preDrainDelay(Duration.ofMillis(-1)).signals().start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duration.ZERO for none");
        assertThatThrownBy(() -> Shutdown.builder().platformBudget(Duration.ZERO).signals().start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("terminationGracePeriodSeconds");
        assertThatThrownBy(() -> Shutdown.builder().persistBudget(null).signals().start())
                .isInstanceOf(NullPointerException.class).hasMessageContaining("persist budget");
    }

    @Test
    void phasesThatDoNotFitThePlatformBudget_areRefused_namingThePhaseToShorten() {
        assertThatThrownBy(() -> Shutdown.builder()
                .platformBudget(Duration.ofSeconds(30))
                .gracePeriod(Duration.ofSeconds(25))
                .preDrainDelay(Duration.ofSeconds(5))
                .signals().start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaves 28000 ms")
                .hasMessageContaining("shorten gracePeriod (25000 ms, the longest phase) by at least 13000 ms")
                .hasMessageContaining("terminationGracePeriodSeconds");
        assertThatThrownBy(() -> Shutdown.builder().platformBudget(Duration.ofSeconds(2)).margin(Duration.ofSeconds(2))
                .signals().start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("margin");
    }

    @Test
    void check_validatesWithoutStarting() {
        String description = Shutdown.builder().platformBudget(Duration.ofSeconds(60)).gracePeriod(Duration.ofSeconds(40))
                .check();
        org.assertj.core.api.Assertions.assertThat(description).contains("grace 40000 ms").contains("= 58000 ms");
        assertThatThrownBy(() -> Shutdown.builder().gracePeriod(Duration.ofSeconds(40)).check())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorten gracePeriod");
    }

    @Test
    void unknownSignals_andHookTimeoutsOverTheirPhase_areRefused() throws Exception {
        assertThatThrownBy(() -> Shutdown.builder().signals("USR1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TERM, INT or HUP");
        Shutdown s = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> s.onCleanup("pool", () -> { }, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than the cleanup budget");
            assertThatThrownBy(() -> s.onPersist("x", b -> { }, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.fork("a/b", () -> { })).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.fork("ok", null)).isInstanceOf(NullPointerException.class);
        } finally {
            s.initiate("test over");
            s.awaitTermination();
        }
    }
}
