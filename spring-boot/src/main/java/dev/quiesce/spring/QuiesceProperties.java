package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code quiesce.shutdown.*} properties: each is the {@link Shutdown.Builder} setter of the same name, with the
 * builder's default. Durations take Boot's forms ({@code 30s}, {@code 500ms}, {@code PT2S}).
 *
 * <p>The phases must fit the platform budget minus the margin, and Boot's own
 * {@code spring.lifecycle.timeout-per-shutdown-phase} times the number of lifecycle phases must fit the cleanup
 * budget (the application context closes in the cleanup phase): a configuration that does not fails startup with a
 * message naming the setting to change.
 *
 * @param enabled whether the starter creates the Shutdown bean at all
 * @param name the root scope's name (its path is /name)
 * @param platformBudget the time the platform gives between SIGTERM and SIGKILL: Kubernetes'
 *     terminationGracePeriodSeconds
 * @param margin safety margin kept free of the platform budget
 * @param preDrainDelay how long readiness reports DRAINING (Boot's REFUSING_TRAFFIC) before the listener closes, so
 *     that load balancers stop sending traffic: at least the health-check interval times its fall count
 * @param stopAcceptingBudget the budget of the stop-accepting phase (closing the web server's listener)
 * @param gracePeriod how long requests in flight and async tasks may take to finish after the listener closed
 * @param cancelGrace how long interrupted work may take to end before it is abandoned
 * @param persistBudget the budget of the persist phase, shared by the state hooks
 * @param cleanupBudget the budget of the cleanup phase, shared by the resources; the application context closes in
 *     it, so spring.lifecycle.timeout-per-shutdown-phase times the lifecycle phases must fit it
 * @param reloadTimeout the timeout of each reload hook (SIGHUP)
 * @param signals the signals the shutdown handles, by name without SIG: any of TERM, INT, HUP; empty for none
 * @param exitPolicy what happens when the sequence ends: EXIT (System.exit with the report's code) or RETURN
 */
@ConfigurationProperties(prefix = "quiesce.shutdown")
public record QuiesceProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("shutdown") String name,
        @DefaultValue("30s") Duration platformBudget, @DefaultValue("2s") Duration margin,
        @DefaultValue("0s") Duration preDrainDelay, @DefaultValue("1s") Duration stopAcceptingBudget,
        @DefaultValue("15s") Duration gracePeriod, @DefaultValue("2s") Duration cancelGrace,
        @DefaultValue("4s") Duration persistBudget, @DefaultValue("4s") Duration cleanupBudget,
        @DefaultValue("10s") Duration reloadTimeout,
        @DefaultValue({"TERM", "INT", "HUP"}) List<String> signals,
        @DefaultValue("EXIT") Shutdown.ExitPolicy exitPolicy) {

    /** Copies the signals. */
    public QuiesceProperties {
        signals = signals == null ? List.of() : List.copyOf(signals);
    }

    /**
     * A builder with these values.
     *
     * @return a builder of a shutdown configured by these properties
     */
    public Shutdown.Builder toBuilder() {
        return Shutdown.builder().name(name).platformBudget(platformBudget).margin(margin).preDrainDelay(preDrainDelay)
                .stopAcceptingBudget(stopAcceptingBudget).gracePeriod(gracePeriod).cancelGrace(cancelGrace)
                .persistBudget(persistBudget).cleanupBudget(cleanupBudget).reloadTimeout(reloadTimeout)
                .signals(signals.toArray(String[]::new)).exitPolicy(exitPolicy);
    }
}
