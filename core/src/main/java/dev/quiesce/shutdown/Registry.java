package dev.quiesce.shutdown;

import dev.quiesce.Subtask;
import dev.quiesce.internal.NotRunSubtasks;
import dev.quiesce.internal.EngineScope;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link Shutdown} has registered: the hook lists, the ingresses and the services forked into its
 * root scope, with the rules {@link Shutdown}'s registration methods document. A registration takes the
 * lock that {@link #enterPhase} takes, so a hook is either added before its phase reads its list
 * (and runs), or sees the phase and is refused; never added to a list already read. The lists are live:
 * the sequence copies each when its phase starts (see {@link PhaseContext}).
 */
final class Registry {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    private final Shutdown s;
    final List<Registered<Shutdown.Hook>> stopListeners = new CopyOnWriteArrayList<>();
    final List<Registered<Shutdown.PersistHook>> persistHooks = new CopyOnWriteArrayList<>();
    final List<Registered<AutoCloseable>> cleanups = new CopyOnWriteArrayList<>();
    final List<Registered<Shutdown.Hook>> reloadHooks = new CopyOnWriteArrayList<>();
    final List<Registered<Ingress>> ingresses = new CopyOnWriteArrayList<>();
    final List<Registered<Shutdown.Hook>> telemetryFlushes = new CopyOnWriteArrayList<>();

    Registry(Shutdown s) {
        this.s = s;
    }

    /** Enters phase {@code p} under the registration lock: a hook registered from now on for {@code p} is refused. */
    void enterPhase(Phase p) {
        s.lock.lock();
        try {
            s.phase = p;
        } finally {
            s.lock.unlock();
        }
    }

    /** {@link Shutdown#fork}. */
    Subtask<Object> fork(String name, Shutdown.Hook service) {
        ShutdownConfig.requireName(name);
        Objects.requireNonNull(service, "service must not be null");
        EngineScope<Object, Void> r = s.root();
        if (s.isShuttingDown()) {
            LOG.info("service {} not started: the shutdown has already started", name);
            return NotRunSubtasks.cancelled(r);
        }
        try {
            return r.forkService(name, new ServiceCall(service));
        } catch (IllegalStateException closed) {
            if (!s.isShuttingDown()) {
                throw closed;
            }
            // the sequence started and closed the root scope since the check
            LOG.info("service {} not started: the shutdown has already started", name);
            return NotRunSubtasks.cancelled(r);
        }
    }

    /** A service as the root scope runs it (a class, not a lambda: see {@link HookCall}). */
    private static final class ServiceCall implements java.util.concurrent.Callable<Object> {
        private final Shutdown.Hook service;

        ServiceCall(Shutdown.Hook service) {
            this.service = service;
        }

        @Override
        public Object call() throws Exception {
            service.run();
            return null;
        }
    }

    /** {@link Shutdown#ingress}: a stop-accepting listener and an ingress, both or neither. */
    void ingress(Ingress ingress) {
        Objects.requireNonNull(ingress, "ingress must not be null");
        IngressDescription d = Objects.requireNonNull(ingress.describe(), "ingress.describe() returned null: "
                + "an Ingress must describe itself (name, protocol, address, counts)");
        Objects.requireNonNull(ingress.inFlight(), "ingress.inFlight() of ingress " + d.name() + " returned null: "
                + "an Ingress must return the tracker its requests are counted in");
        String name = d.name();
        if (name.isBlank() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("ingress name '" + name + "' (from describe().name()) must be "
                    + "non-blank and must not contain '/'");
        }
        s.lock.lock(); // the lock register() takes: the ingress is in both lists before STOP_ACCEPTING, or in none
        try {
            for (Registered<Ingress> r : ingresses) {
                if (r.name().equals(name)) {
                    throw new IllegalArgumentException("an ingress named '" + name + "' is already registered: "
                            + "give each ingress a name of its own (its describe().name())");
                }
            }
            register(stopListeners, name, new HookCall(Phase.STOP_ACCEPTING, ingress, Duration.ZERO), null,
                    Shutdown.WhenNeverReady.RUN, "ingress", Phase.STOP_ACCEPTING);
            ingresses.add(new Registered<>(name, ingress, null, Shutdown.WhenNeverReady.RUN));
        } finally {
            s.lock.unlock();
        }
    }

    /** {@link Shutdown#onReload}: reload hooks run on SIGHUP, in any phase. */
    void reload(String name, Shutdown.Hook hook) {
        ShutdownConfig.requireName(name);
        Objects.requireNonNull(hook, "reload hook must not be null");
        reloadHooks.add(new Registered<>(name, hook, s.cfg.reloadTimeout(), Shutdown.WhenNeverReady.RUN));
    }

    /** {@link Shutdown#onTelemetryFlush}: refused without a slice to run in. */
    void telemetryFlush(String name, Shutdown.Hook hook) {
        if (s.cfg.telemetryFlush().isZero()) {
            throw new IllegalStateException("telemetry-flush hook " + name + " would never run: this shutdown holds "
                    + "back no time for a telemetry flush; configure one with Shutdown.builder().telemetryFlush("
                    + "Duration.ofSeconds(2)) (it counts in the budget check like a phase)");
        }
        register(telemetryFlushes, name, hook, null, Shutdown.WhenNeverReady.RUN, "telemetry-flush",
                Phase.TELEMETRY_FLUSH);
    }

    /** Adds a hook to {@code list} unless the sequence has reached {@code usedIn}, where it would never run. */
    <H> void register(List<Registered<H>> list, String name, H hook, Duration timeout,
            Shutdown.WhenNeverReady whenNeverReady, String what, Phase usedIn) {
        ShutdownConfig.requireName(name);
        Objects.requireNonNull(hook, what + " hook must not be null");
        // under the lock that Recorder.start takes to enter a phase: a hook is either added before its phase
        // reads the list (and runs), or sees the phase and is refused; never added to a list already read
        s.lock.lock();
        try {
            Phase p = s.phase;
            if (p != null && p.compareTo(usedIn) >= 0) {
                throw new IllegalStateException("the shutdown is already in phase " + p + ": " + what + " hook "
                        + name + " would never run; register it before the shutdown starts (during start-up, "
                        + "stop starting once isShuttingDown() is true" + (usedIn == Phase.CLEANUP
                        ? ", and close this resource yourself)" : what.equals("ingress")
                        ? ", and stop this server yourself)" : ")"));
            }
            list.add(new Registered<>(name, hook, timeout, whenNeverReady));
        } finally {
            s.lock.unlock();
        }
    }
}
