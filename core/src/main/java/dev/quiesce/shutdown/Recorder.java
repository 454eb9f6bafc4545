package dev.quiesce.shutdown;

import dev.quiesce.internal.PhaseEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times, logs, reports (JFR event, {@linkplain Shutdown.PhaseListener listeners}) and keeps each phase and
 * each hook of one run of the sequence. Used by the coordinator thread only.
 *
 * <p>No {@code switch} on an enum here or in the phases: javac compiles one to a lookup class of its own,
 * linked at its first run, after the trigger; {@code if} chains link nothing.
 */
final class Recorder {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    final List<ShutdownReport.PhaseTiming> phases = new ArrayList<>();
    final List<ShutdownReport.HookOutcome> hooks = new ArrayList<>();
    private final Shutdown shutdown;
    private final long triggerNanos;
    private final List<Shutdown.PhaseListener> listeners;
    private Phase current;
    private long start;
    private PhaseEvent event;

    Recorder(Shutdown shutdown, long triggerNanos, List<Shutdown.PhaseListener> listeners) {
        this.shutdown = shutdown;
        this.triggerNanos = triggerNanos;
        this.listeners = listeners;
    }

    void start(Phase p) {
        current = p;
        shutdown.registry.enterPhase(p); // under the registration lock: a hook registered from now on for p is refused
        start = ShutdownTime.nanoTime();
        event = PhaseEvent.start();
        LOG.info("shutdown phase {} started", p);
        for (Shutdown.PhaseListener l : listeners) {
            try {
                l.started(p);
            } catch (RuntimeException e) {
                LOG.warn("phase listener threw", e);
            }
        }
    }

    void end(String note) {
        long now = ShutdownTime.nanoTime();
        var timing = new ShutdownReport.PhaseTiming(current, Duration.ofNanos(start - triggerNanos),
                Duration.ofNanos(now - start), note);
        phases.add(timing);
        event.finish(current.name(), note);
        LOG.info("shutdown phase {} ended after {} ms: {}", current, timing.duration().toMillis(), note);
        for (Shutdown.PhaseListener l : listeners) {
            try {
                l.ended(timing);
            } catch (RuntimeException e) {
                LOG.warn("phase listener threw", e);
            }
        }
    }

    ShutdownReport.HookStatus skip(Phase p, String name, String why) {
        hooks.add(new ShutdownReport.HookOutcome(p, name, ShutdownReport.HookStatus.SKIPPED, Duration.ZERO,
                Optional.of(why)));
        LOG.info("shutdown {} hook {} skipped: {}", p, name, why);
        return ShutdownReport.HookStatus.SKIPPED;
    }

    ShutdownReport.HookStatus hook(Phase p, String name, Duration timeout, Callable<?> body) {
        if (timeout.isZero() || timeout.isNegative()) {
            hooks.add(new ShutdownReport.HookOutcome(p, name, ShutdownReport.HookStatus.SKIPPED, Duration.ZERO,
                    Optional.of("no budget left")));
            LOG.warn("shutdown {} hook {} skipped: no budget left", p, name);
            return ShutdownReport.HookStatus.SKIPPED;
        }
        HookRunner.Result r = HookRunner.run("quiesce-" + p.name().toLowerCase(Locale.ROOT) + "-" + name, timeout,
                body);
        ShutdownReport.HookStatus status;
        Optional<String> error;
        if (r.status() == HookRunner.Status.OK) {
            status = ShutdownReport.HookStatus.OK;
            error = Optional.empty();
        } else if (r.status() == HookRunner.Status.FAILED) {
            status = ShutdownReport.HookStatus.FAILED;
            error = Optional.of(String.valueOf(r.error()));
        } else {
            status = ShutdownReport.HookStatus.TIMED_OUT;
            error = Optional.of("did not return within " + ShutdownConfig.ms(timeout) + "; interrupted and abandoned");
        }
        hooks.add(new ShutdownReport.HookOutcome(p, name, status, r.duration(), error));
        if (status == ShutdownReport.HookStatus.OK) {
            LOG.info("shutdown {} hook {}: OK in {} ms", p, name, r.duration().toMillis());
        } else {
            LOG.warn("shutdown {} hook {}: {} ({})", p, name, status, error.orElse(""), r.error());
        }
        return status;
    }

    /** How many hooks of phase {@code p} did not end {@link ShutdownReport.HookStatus#OK}. */
    int failed(Phase p) {
        int n = 0;
        for (ShutdownReport.HookOutcome h : hooks) {
            if (h.phase() == p && h.status() != ShutdownReport.HookStatus.OK) {
                n++;
            }
        }
        return n;
    }
}
