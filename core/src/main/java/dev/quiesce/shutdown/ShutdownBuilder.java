package dev.quiesce.shutdown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The setters of {@link Shutdown.Builder}, which is this class and nothing more: the builder's state and
 * setters live here, out of the facade, while {@code Shutdown.Builder} stays the type user code names
 * (its Javadoc shows these methods as its own). Package-private and sealed: {@code Shutdown.Builder} is the
 * one subclass, so {@link #self()} is always a {@code Shutdown.Builder}. Validation is
 * {@link ShutdownConfig#validate}'s.
 */
abstract sealed class ShutdownBuilder permits Shutdown.Builder {

    private String name = "shutdown";
    private Duration platformBudget = Duration.ofSeconds(30);
    private Duration margin = Duration.ofSeconds(2);
    private Duration preDrainDelay = Duration.ZERO;
    private Duration stopAcceptingBudget = Duration.ofSeconds(1);
    private Duration gracePeriod = Duration.ofSeconds(15);
    private Duration cancelGrace = Duration.ofSeconds(2);
    private Duration persistBudget = Duration.ofSeconds(4);
    private Duration cleanupBudget = Duration.ofSeconds(4);
    private Duration reloadTimeout = Duration.ofSeconds(10);
    private Set<String> signals = EnumSet.of(Sig.TERM, Sig.INT, Sig.HUP).stream().map(Enum::name)
            .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new));
    private Shutdown.ExitPolicy exitPolicy = Shutdown.ExitPolicy.EXIT;
    private final List<Shutdown.PhaseListener> listeners = new ArrayList<>();
    private Duration telemetryFlush = Duration.ZERO;

    private enum Sig { TERM, INT, HUP }

    ShutdownBuilder() {}

    /** The root scope's name (its path is {@code /name}); default {@code shutdown}. */
    public Shutdown.Builder name(String name) {
        ShutdownConfig.requireName(name);
        this.name = name;
        return self();
    }

    /**
     * The time the platform gives between SIGTERM and SIGKILL: Kubernetes'
     * {@code terminationGracePeriodSeconds} (default 30 s).
     */
    public Shutdown.Builder platformBudget(Duration d) { platformBudget = d; return self(); }

    /** Safety margin kept free of the platform budget (default 2 s). */
    public Shutdown.Builder margin(Duration d) { margin = d; return self(); }

    /**
     * How long readiness reports {@code DRAINING} before the listeners stop accepting, so that load
     * balancers and endpoint controllers stop sending traffic (default 0; a few seconds behind a load
     * balancer: at least its health-check interval times its fall count).
     */
    public Shutdown.Builder preDrainDelay(Duration d) { preDrainDelay = d; return self(); }

    /**
     * The budget of the stop-accepting phase, shared by the listeners as {@link Shutdown#onStopAccepting}
     * says (default 1 s).
     */
    public Shutdown.Builder stopAcceptingBudget(Duration d) { stopAcceptingBudget = d; return self(); }

    /** How long in-flight work and services may take to finish after the soft stop (default 15 s). */
    public Shutdown.Builder gracePeriod(Duration d) { gracePeriod = d; return self(); }

    /** How long interrupted tasks may take to end before they are abandoned (default 2 s). */
    public Shutdown.Builder cancelGrace(Duration d) { cancelGrace = d; return self(); }

    /** The budget of the whole persist phase, shared by the state hooks as {@link Shutdown#onPersist} says (default 4 s). */
    public Shutdown.Builder persistBudget(Duration d) { persistBudget = d; return self(); }

    /** The budget of the whole cleanup phase, shared by the resources as {@link Shutdown#onCleanup} says (default 4 s). */
    public Shutdown.Builder cleanupBudget(Duration d) { cleanupBudget = d; return self(); }

    /** The timeout of each reload hook (default 10 s). */
    public Shutdown.Builder reloadTimeout(Duration d) { reloadTimeout = d; return self(); }

    /**
     * The signals to handle, by name without {@code SIG}: any of {@code TERM}, {@code INT}, {@code HUP}
     * (default all three). None: only the JVM shutdown hook, programmatic triggers and failed services
     * start the sequence.
     */
    public Shutdown.Builder signals(String... names) {
        Set<String> set = new java.util.LinkedHashSet<>();
        for (String n : names) {
            Objects.requireNonNull(n, "signal name");
            String s = n.startsWith("SIG") ? n.substring(3) : n;
            try {
                Sig.valueOf(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("signal '" + n + "' is not one Quiesce handles: use TERM, "
                        + "INT or HUP", e);
            }
            set.add(s);
        }
        this.signals = set;
        return self();
    }

    /** What happens when the sequence ends (default {@link Shutdown.ExitPolicy#EXIT}). */
    public Shutdown.Builder exitPolicy(Shutdown.ExitPolicy policy) {
        this.exitPolicy = Objects.requireNonNull(policy, "exit policy");
        return self();
    }

    /** Adds a listener told about every phase (e.g. to print progress or export metrics). */
    public Shutdown.Builder onPhase(Shutdown.PhaseListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return self();
    }

    /**
     * A slice of the budget held back for the {@linkplain Phase#TELEMETRY_FLUSH telemetry flush} (default 0:
     * none, and no flush phase). The earlier phases never run into it: the drain and the cancel end by the
     * start of the slice at the latest, and {@link Shutdown#remaining()} leaves it out until the flush starts;
     * the flush then gets the whole slice, also after a drain that ran over. It counts in the budget check
     * like a phase. The hooks registered with {@link Shutdown#onTelemetryFlush} share it as the cleanup
     * resources share theirs.
     */
    public Shutdown.Builder telemetryFlush(Duration d) { telemetryFlush = d; return self(); }

    /**
     * Validates the configuration, installs the signal handlers and the JVM shutdown hook, opens the
     * root scope and returns the running shutdown. If the calling thread (usually {@code main}) dies of
     * an uncaught exception before {@link Shutdown#markReady()} (a failed startup: a port in use), the
     * sequence runs with outcome {@link ShutdownReport.Outcome#SERVICE_FAILED} (exit code 1) instead of
     * the process staying up without a service; the thread's own uncaught-exception handler still runs
     * first.
     *
     * @throws IllegalArgumentException if a duration is null, zero where it must be positive, negative,
     *     or the phases do not fit the platform budget minus the margin (the message names the phase to
     *     shorten)
     */
    public Shutdown start() {
        return Shutdown.start(validate());
    }

    /**
     * Checks the configuration without starting anything.
     *
     * @return a description of the budget (as {@link Shutdown} logs it when armed)
     * @throws IllegalArgumentException as {@link #start()} would
     */
    public String check() {
        return validate().toString();
    }

    ShutdownConfig validate() {
        return ShutdownConfig.validate(name, platformBudget, margin, preDrainDelay, stopAcceptingBudget,
                gracePeriod, cancelGrace, persistBudget, cleanupBudget, reloadTimeout, List.copyOf(signals),
                exitPolicy, listeners, telemetryFlush);
    }

    private Shutdown.Builder self() {
        return (Shutdown.Builder) this;
    }
}
