package dev.quiesce.spring;

import java.time.Duration;
import java.util.Collection;
import java.util.TreeSet;
import org.springframework.context.Lifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Boot's part of the shutdown budget: the application context closes in Quiesce's cleanup phase, and closing it
 * stops the {@link SmartLifecycle} beans phase by phase, each phase waiting up to
 * {@code spring.lifecycle.timeout-per-shutdown-phase}. So that timeout times the number of phases must fit
 * {@code quiesce.shutdown.cleanup-budget}, itself part of {@code quiesce.shutdown.platform-budget}
 * (terminationGracePeriodSeconds), which {@code Shutdown.Builder#start()} checks.
 */
final class LifecycleBudget {
    /** Boot's property of the per-phase timeout. */
    static final String TIMEOUT_PROPERTY = "spring.lifecycle.timeout-per-shutdown-phase";

    private LifecycleBudget() {}

    /**
     * The number of shutdown phases that may each wait the per-phase timeout: the distinct phases of the
     * {@link SmartLifecycle} beans (a plain {@link Lifecycle} stops synchronously, without the timeout).
     */
    static int phases(Collection<? extends Lifecycle> beans) {
        TreeSet<Integer> phases = new TreeSet<>();
        for (Lifecycle bean : beans) {
            if (bean instanceof SmartLifecycle smart) {
                phases.add(smart.getPhase());
            }
        }
        return phases.size();
    }

    /**
     * Checks that {@code phases} × {@code perPhase} fits {@code cleanupBudget}.
     *
     * @throws IllegalStateException if it does not; the message names the settings to change
     */
    static void check(Duration perPhase, int phases, Duration cleanupBudget) {
        Duration worst = perPhase.multipliedBy(phases);
        if (worst.compareTo(cleanupBudget) > 0) {
            throw new IllegalStateException("Quiesce: the application context closes in the shutdown's cleanup phase, "
                    + "and closing it may take " + TIMEOUT_PROPERTY + " (" + perPhase.toMillis() + " ms) x " + phases
                    + " lifecycle phases = " + worst.toMillis() + " ms, more than quiesce.shutdown.cleanup-budget ("
                    + cleanupBudget.toMillis() + " ms): lower " + TIMEOUT_PROPERTY + " to at most "
                    + fitting(phases, cleanupBudget).toMillis()
                    + " ms (or leave it unset: Quiesce then sets it to fit), "
                    + "or raise quiesce.shutdown.cleanup-budget (and quiesce.shutdown.platform-budget, which is "
                    + "terminationGracePeriodSeconds, if the phases no longer fit it)");
        }
    }

    /** The largest per-phase timeout whose {@code phases} fit {@code cleanupBudget} (whole milliseconds). */
    static Duration fitting(int phases, Duration cleanupBudget) {
        return phases == 0 ? cleanupBudget : Duration.ofMillis(cleanupBudget.toMillis() / phases);
    }
}
