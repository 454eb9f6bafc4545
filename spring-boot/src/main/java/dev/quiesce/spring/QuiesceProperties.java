package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code quiesce.shutdown.*} properties: each is the {@link Shutdown.Builder} setter of the same name, with the
 * builder's default. Durations take Boot's forms ({@code 30s}, {@code 500ms}, {@code PT2S}).
 *
 * <p>{@code quiesce.shutdown.platform-budget} is Kubernetes' {@code terminationGracePeriodSeconds}; the phases must
 * fit it minus the margin, and Boot's own {@code spring.lifecycle.timeout-per-shutdown-phase} times the number of
 * lifecycle phases must fit {@code quiesce.shutdown.cleanup-budget} (the application context closes in the cleanup
 * phase): a configuration that does not fails startup with a message naming the setting to change.
 */
@ConfigurationProperties(prefix = "quiesce.shutdown")
public class QuiesceProperties {

    /** Whether the starter creates the {@code Shutdown} bean at all. */
    private boolean enabled = true;

    /** The root scope's name (its path is /name). */
    private String name = "shutdown";

    /** The time the platform gives between SIGTERM and SIGKILL: Kubernetes' terminationGracePeriodSeconds. */
    private Duration platformBudget = Duration.ofSeconds(30);

    /** Safety margin kept free of the platform budget. */
    private Duration margin = Duration.ofSeconds(2);

    /**
     * How long readiness reports DRAINING (Boot's REFUSING_TRAFFIC) before the listener closes, so that load
     * balancers stop sending traffic: at least the health-check interval times its fall count.
     */
    private Duration preDrainDelay = Duration.ZERO;

    /** The budget of the stop-accepting phase (closing the web server's listener). */
    private Duration stopAcceptingBudget = Duration.ofSeconds(1);

    /** How long requests in flight may take to finish after the listener closed. */
    private Duration gracePeriod = Duration.ofSeconds(15);

    /** How long interrupted work may take to end before it is abandoned. */
    private Duration cancelGrace = Duration.ofSeconds(2);

    /** The budget of the persist phase, shared by the state hooks. */
    private Duration persistBudget = Duration.ofSeconds(4);

    /**
     * The budget of the cleanup phase, shared by the resources; the application context closes in it, so Boot's
     * spring.lifecycle.timeout-per-shutdown-phase times the lifecycle phases must fit it.
     */
    private Duration cleanupBudget = Duration.ofSeconds(4);

    /** The timeout of each reload hook (SIGHUP). */
    private Duration reloadTimeout = Duration.ofSeconds(10);

    /** The signals the shutdown handles, by name without SIG: any of TERM, INT, HUP; empty for none. */
    private List<String> signals = new ArrayList<>(List.of("TERM", "INT", "HUP"));

    /** What happens when the sequence ends: EXIT (System.exit with the report's code) or RETURN. */
    private Shutdown.ExitPolicy exitPolicy = Shutdown.ExitPolicy.EXIT;

    /** Creates the properties with the builder's defaults. */
    public QuiesceProperties() {}

    /** @return whether the starter creates the {@code Shutdown} bean */
    public boolean isEnabled() { return enabled; }

    /** @param enabled whether the starter creates the {@code Shutdown} bean */
    public void setEnabled(boolean enabled) { this.enabled = enabled; }

    /** @return the root scope's name */
    public String getName() { return name; }

    /** @param name the root scope's name */
    public void setName(String name) { this.name = name; }

    /** @return the platform budget (terminationGracePeriodSeconds) */
    public Duration getPlatformBudget() { return platformBudget; }

    /** @param platformBudget the platform budget (terminationGracePeriodSeconds) */
    public void setPlatformBudget(Duration platformBudget) { this.platformBudget = platformBudget; }

    /** @return the margin */
    public Duration getMargin() { return margin; }

    /** @param margin the margin */
    public void setMargin(Duration margin) { this.margin = margin; }

    /** @return the pre-drain delay */
    public Duration getPreDrainDelay() { return preDrainDelay; }

    /** @param preDrainDelay the pre-drain delay */
    public void setPreDrainDelay(Duration preDrainDelay) { this.preDrainDelay = preDrainDelay; }

    /** @return the stop-accepting budget */
    public Duration getStopAcceptingBudget() { return stopAcceptingBudget; }

    /** @param stopAcceptingBudget the stop-accepting budget */
    public void setStopAcceptingBudget(Duration stopAcceptingBudget) { this.stopAcceptingBudget = stopAcceptingBudget; }

    /** @return the grace period */
    public Duration getGracePeriod() { return gracePeriod; }

    /** @param gracePeriod the grace period */
    public void setGracePeriod(Duration gracePeriod) { this.gracePeriod = gracePeriod; }

    /** @return the cancel grace */
    public Duration getCancelGrace() { return cancelGrace; }

    /** @param cancelGrace the cancel grace */
    public void setCancelGrace(Duration cancelGrace) { this.cancelGrace = cancelGrace; }

    /** @return the persist budget */
    public Duration getPersistBudget() { return persistBudget; }

    /** @param persistBudget the persist budget */
    public void setPersistBudget(Duration persistBudget) { this.persistBudget = persistBudget; }

    /** @return the cleanup budget */
    public Duration getCleanupBudget() { return cleanupBudget; }

    /** @param cleanupBudget the cleanup budget */
    public void setCleanupBudget(Duration cleanupBudget) { this.cleanupBudget = cleanupBudget; }

    /** @return the reload timeout */
    public Duration getReloadTimeout() { return reloadTimeout; }

    /** @param reloadTimeout the reload timeout */
    public void setReloadTimeout(Duration reloadTimeout) { this.reloadTimeout = reloadTimeout; }

    /** @return the signals handled */
    public List<String> getSignals() { return signals; }

    /** @param signals the signals handled */
    public void setSignals(List<String> signals) { this.signals = signals; }

    /** @return the exit policy */
    public Shutdown.ExitPolicy getExitPolicy() { return exitPolicy; }

    /** @param exitPolicy the exit policy */
    public void setExitPolicy(Shutdown.ExitPolicy exitPolicy) { this.exitPolicy = exitPolicy; }

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
