package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
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

    private static final Duration HUGE = Duration.ofSeconds(Long.MAX_VALUE);
    private static final Duration HUGE_NEGATIVE = Duration.ofSeconds(Long.MIN_VALUE);

    /** Every duration the builder takes, set to {@code d} on a builder with the defaults. */
    private static java.util.Map<String, Shutdown.Builder> eachDurationSetTo(Duration d) {
        var m = new java.util.LinkedHashMap<String, Shutdown.Builder>();
        m.put("platformBudget", Shutdown.builder().signals().platformBudget(d));
        m.put("margin", Shutdown.builder().signals().margin(d));
        m.put("preDrainDelay", Shutdown.builder().signals().preDrainDelay(d));
        m.put("stopAcceptingBudget", Shutdown.builder().signals().stopAcceptingBudget(d));
        m.put("gracePeriod", Shutdown.builder().signals().gracePeriod(d));
        m.put("cancelGrace", Shutdown.builder().signals().cancelGrace(d));
        m.put("persistBudget", Shutdown.builder().signals().persistBudget(d));
        m.put("cleanupBudget", Shutdown.builder().signals().cleanupBudget(d));
        m.put("reloadTimeout", Shutdown.builder().signals().reloadTimeout(d));
        return m;
    }

    @Test
    void hugeDurations_areValidatedWithoutOverflow_andTheMessagesStayReadable() {
        for (var e : eachDurationSetTo(HUGE).entrySet()) {
            try {
                String description = e.getValue().check();
                assertThat(description).as(e.getKey()).contains("platform budget");
            } catch (IllegalArgumentException refused) {
                assertThat(refused.getMessage()).as(e.getKey()).contains("PT").doesNotContain("-");
            }
        }
        for (var e : eachDurationSetTo(HUGE_NEGATIVE).entrySet()) {
            assertThatThrownBy(() -> e.getValue().check()).as(e.getKey())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-");
        }
        // several huge phases: their sum saturates instead of overflowing, and is refused as too long
        assertThatThrownBy(() -> Shutdown.builder().signals().platformBudget(HUGE).gracePeriod(HUGE)
                .persistBudget(HUGE).check())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shorten gracePeriod");
        assertThat(Shutdown.builder().signals().platformBudget(HUGE).margin(Duration.ofSeconds(Long.MAX_VALUE / 2))
                .check()).contains("platform budget PT");
    }

    @Test
    void aShutdownWithHugeBudgets_runsItsSequence() throws Exception {
        Duration big = Duration.ofSeconds(Long.MAX_VALUE / 8);
        Shutdown s = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(HUGE).margin(big).preDrainDelay(Duration.ZERO).stopAcceptingBudget(big)
                .gracePeriod(big).cancelGrace(Duration.ofSeconds(1)).persistBudget(big).cleanupBudget(big)
                .reloadTimeout(HUGE).start();
        assertThat(s.remaining()).isPositive();
        assertThat(s.describeConfig()).contains("platform budget PT");
        s.onCleanup("pool", () -> { }, big);
        s.onPersist("state", budget -> assertThat(budget).isPositive());
        var checked = new java.util.concurrent.CountDownLatch(1);
        s.fork("service", checked::await); // holds the drain until the test has read the times it asserts on
        s.markReady();
        s.initiate("test");
        s.awaitStopRequested(HUGE); // the DRAIN phase, whose end untilCancel() counts down to
        assertThat(s.untilCancel()).hasValueSatisfying(d -> assertThat(d).isPositive());
        assertThat(s.remaining()).isPositive();
        checked.countDown();
        ShutdownReport report = s.awaitTermination(HUGE).orElseThrow();
        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::status)
                .containsOnly(ShutdownReport.HookStatus.OK);
    }
}
