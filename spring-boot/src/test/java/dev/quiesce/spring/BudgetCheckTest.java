package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * The budget is checked at startup: Quiesce's phases against the platform budget, and Boot's per-phase lifecycle
 * timeout times the lifecycle phases against the cleanup budget, in which the context closes.
 */
@Timeout(120)
class BudgetCheckTest {

    @Test
    void anExplicitLifecycleTimeoutThatDoesNotFitTheCleanupBudget_failsStartupNamingTheSettings() {
        assertThat(quiesceFailure(() -> Apps.run("spring.lifecycle.timeout-per-shutdown-phase=30s",
                "quiesce.shutdown.cleanup-budget=4s")))
                .hasMessageContaining("spring.lifecycle.timeout-per-shutdown-phase (30000 ms) x")
                .hasMessageContaining("more than quiesce.shutdown.cleanup-budget (4000 ms)")
                .hasMessageContaining("lower spring.lifecycle.timeout-per-shutdown-phase")
                .hasMessageContaining("terminationGracePeriodSeconds");
    }

    @Test
    void quiescePhasesThatDoNotFitThePlatformBudget_failStartupNamingTheProperty() {
        assertThat(quiesceFailure(() -> Apps.run("quiesce.shutdown.platform-budget=10s",
                "quiesce.shutdown.grace-period=9s")))
                .hasMessageNotContaining("gracePeriod")
                .hasMessageContaining("shorten quiesce.shutdown.grace-period")
                .hasMessageContaining("raise quiesce.shutdown.platform-budget");
    }

    @Test
    void anUnsetLifecycleTimeout_isSetToFitTheCleanupBudget() throws Exception {
        ConfigurableApplicationContext context = Apps.run("quiesce.shutdown.cleanup-budget=3s");
        try {
            Object processor = context.getBean(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME);
            long perPhase = (Long) ReflectionTestUtils.getField(processor, "timeoutPerShutdownPhase");
            int phases = LifecycleBudget.phases(context.getBeansOfType(org.springframework.context.Lifecycle.class,
                    false, false).values());
            assertThat(phases).isPositive();
            assertThat(perPhase * phases).isLessThanOrEqualTo(3_000);
            assertThat(perPhase).isPositive();
        } finally {
            close(context);
        }
    }

    @Test
    void anExplicitLifecycleTimeoutThatFits_starts() throws Exception {
        ConfigurableApplicationContext context = Apps.run("spring.lifecycle.timeout-per-shutdown-phase=200ms");
        close(context);
    }

    /** The startup failure's Quiesce message (Boot wraps it in bean-creation exceptions, or not). */
    private static Throwable quiesceFailure(org.assertj.core.api.ThrowableAssert.ThrowingCallable startup) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(startup);
        assertThat(thrown).as("startup fails").isNotNull();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).startsWith("Quiesce: ")) {
                return t;
            }
        }
        throw new AssertionError("no Quiesce message in the startup failure", thrown);
    }

    private static void close(ConfigurableApplicationContext context) throws InterruptedException {
        Shutdown shutdown = context.getBean(Shutdown.class);
        context.close();
        assertThat(shutdown.awaitTermination(Duration.ofSeconds(30))).isPresent();
    }
}
