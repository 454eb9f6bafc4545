package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.ScopeConfig;
import dev.quiesce.Straggler;
import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the shutdown sequence, on the coordinator thread: one method per phase, each of the same shape.
 * It gets its budget (and the {@link PhaseContext}), does its work, leaves its counts for the later phases
 * and the report in this object's fields, and returns its note; {@link #run()} records each phase's timing
 * and note through the {@link Recorder}.
 *
 * <p>Nothing here is linked for the first time after the trigger: no lambdas (the two suppliers are made
 * when the class is initialised, which {@link WarmUp} does), no {@code switch} on an enum (see
 * {@link Recorder}), no {@code Duration.dividedBy} (it goes through {@code BigDecimal}).
 */
final class ShutdownSequence {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);
    private static final BooleanSupplier NEVER = () -> false;

    private final PhaseContext ctx;
    private final Shutdown s;
    private final Recorder rec;

    // what the phases leave for the later ones and the report
    private int hookFailures;
    private long inFlightAtCancel;
    private long drained;
    private int tasksCancelled;
    private List<Straggler> stragglers = List.of();
    private List<Registered<Ingress>> ingresses = List.of();
    private long ingressInFlightAtCancel;
    private boolean drainComplete;
    private List<IngressDescription> ingressDescriptions = List.of();
    private ShutdownReport.Outcome outcome;

    private ShutdownSequence(PhaseContext ctx) {
        this.ctx = ctx;
        this.s = ctx.shutdown();
        this.rec = new Recorder(s, s.triggerNanos, ctx.cfg().listeners());
    }

    /** The coordinator thread's body: opens the root scope, waits for the trigger, runs the sequence. */
    static void coordinate(Shutdown s) {
        try {
            WarmUp.rehearseEngine(s.cfg.name());
            @SuppressWarnings("unchecked")
            EngineScope<Object, Void> r = EngineScope.open(new ServiceJoiner(s), ScopeConfig.defaults()
                    .withName(s.cfg.name()).withCloseTimeout(s.cfg.cancelGrace()));
            s.root = r;
        } finally {
            s.rootOpened.countDown();
        }
        s.triggers.awaitTrigger();
        try {
            new ShutdownSequence(new PhaseContext(s, s.cfg, s.root, s.reason, s.triggerKind, s.becameReady,
                    s.inFlightAtTrigger, s.completedAtTrigger, s.readiness(), s.inFlight(), s.registry.stopListeners,
                    s.registry.persistHooks, s.registry.cleanups, s.registry.ingresses)).run();
        } catch (Throwable t) {
            LOG.error("the shutdown sequence failed unexpectedly; exiting with exit code {}",
                    ShutdownReport.Outcome.FORCED.exitCode(), t);
            finish(s, null, ShutdownReport.Outcome.FORCED.exitCode());
        }
    }

    private void run() {
        Instant startedAt = ShutdownTime.now().minusNanos(ShutdownTime.nanoTime() - s.triggerNanos);
        for (Phase p : Phase.values()) {
            if (p == Phase.TELEMETRY_FLUSH) {
                break;
            }
            rec.start(p);
            rec.end(phase(p));
            if (p == Phase.DRAIN) {
                endDrain(startedAt);
            }
        }
        boolean flush = !ctx.cfg().telemetryFlush().isZero();
        var rep = report(startedAt);
        if (!flush) {
            log(rep);
        }
        for (Shutdown.PhaseListener l : ctx.cfg().listeners()) {
            try {
                l.reported(rep); // before the flush: what the listeners record of the shutdown is what it exports
            } catch (RuntimeException e) {
                LOG.warn("phase listener threw", e);
            }
        }
        if (flush) {
            rec.start(Phase.TELEMETRY_FLUSH);
            rec.end(telemetryFlush(ctx.cfg().telemetryFlush()));
            rep = report(startedAt); // the same, with the flush's phase and hooks
            log(rep);
        }
        for (Shutdown.PhaseListener l : ctx.cfg().listeners()) {
            try {
                l.started(Phase.EXIT);
            } catch (RuntimeException e) {
                LOG.warn("phase listener threw", e);
            }
        }
        if (s.coordinatorInterrupted) {
            Thread.currentThread().interrupt(); // kept clear during the sequence; see waitUnlessEscalated
        }
        finish(s, rep, rep.exitCode());
    }

    /** The report of the phases and hooks recorded so far. */
    private ShutdownReport report(Instant startedAt) {
        // The exit code the report states is the process's: ours if this sequence calls System.exit, the JVM's
        // if the JVM was already exiting (then System.exit would block and the JVM's status stands)
        boolean jvmExiting = s.jvmShuttingDown
                || (ctx.cfg().exitPolicy() == Shutdown.ExitPolicy.EXIT && !removeJvmHook(s));
        Integer override = s.exitCodeOverride;
        return new ShutdownReport(ctx.reason().describe(), ctx.triggerKind(), startedAt,
                Duration.ofNanos(ShutdownTime.nanoTime() - s.triggerNanos), rec.phases,
                ctx.inFlightAtTrigger(), drained, inFlightAtCancel, tasksCancelled, s.escalated, stragglers,
                rec.hooks, outcome,
                jvmExiting ? ShutdownReport.EXIT_CODE_OF_THE_JVM : override != null ? override : outcome.exitCode(),
                ingressDescriptions);
    }

    private static void log(ShutdownReport rep) {
        if (rep.outcome() == ShutdownReport.Outcome.CLEAN) {
            if (LOG.isInfoEnabled()) {
                LOG.info("{}", rep.toText());
            }
        } else {
            LOG.warn("{}", rep.toText());
        }
    }

    /** Runs phase {@code p} with its budget from the configuration; returns its note. */
    private String phase(Phase p) {
        ShutdownConfig cfg = ctx.cfg();
        if (p == Phase.TRIGGER) {
            return trigger();
        } else if (p == Phase.READINESS) {
            return readiness(cfg.preDrainDelay());
        } else if (p == Phase.STOP_ACCEPTING) {
            return stopAccepting(cfg.stopAcceptingBudget());
        } else if (p == Phase.DRAIN) {
            return drain(cfg.gracePeriod());
        } else if (p == Phase.CANCEL) {
            return cancel(cfg.cancelGrace());
        } else if (p == Phase.ABANDON) {
            return abandon();
        } else if (p == Phase.PERSIST) {
            return persist(cfg.persistBudget());
        } else if (p == Phase.CLEANUP) {
            return cleanup(cfg.cleanupBudget());
        } else if (p == Phase.REPORT) {
            return report(); // TRIGGER, ABANDON and REPORT do not wait: they have no budget
        }
        throw new AssertionError(p);
    }

    private String trigger() {
        return ctx.reason().describe() + " (" + ctx.triggerKind() + "), " + ctx.inFlightAtTrigger() + " in flight";
    }

    /** Readiness {@code DRAINING}, then the pre-drain delay (none if the service never became ready). */
    private String readiness(Duration preDrainDelay) {
        ctx.readiness().advanceTo(Readiness.State.DRAINING);
        String preDrain;
        if (preDrainDelay.isZero()) {
            preDrain = "no pre-drain delay";
        } else if (!ctx.wasReady()) {
            preDrain = "no pre-drain delay: the service never became ready, so no load balancer sends it traffic";
        } else {
            Wait w = waitUnlessEscalated(preDrainDelay);
            preDrain = w == Wait.WAITED ? "pre-drain delay " + ShutdownConfig.ms(preDrainDelay)
                    : w == Wait.ESCALATED ? "pre-drain delay cut short by escalation"
                    : "pre-drain delay interrupted (the shutdown's thread was interrupted)";
        }
        return "readiness DRAINING, " + preDrain;
    }

    private String stopAccepting(Duration budget) {
        ingresses = List.copyOf(ctx.ingresses()); // fixed from here on: an ingress registered now is refused
        int failures = 0;
        List<Registered<Shutdown.Hook>> listeners = List.copyOf(ctx.stopListeners());
        var shares = new HookShares(s, listeners, budget);
        for (int i = 0; i < listeners.size(); i++) {
            Registered<Shutdown.Hook> l = listeners.get(i);
            if (rec.hook(Phase.STOP_ACCEPTING, l.name(), shares.budget(i),
                    new HookCall(Phase.STOP_ACCEPTING, l.hook(), Duration.ZERO)) != ShutdownReport.HookStatus.OK) {
                failures++;
            }
        }
        hookFailures += failures;
        return listeners.size() + " listeners stopped accepting" + (failures > 0 ? ", " + failures + " failed" : "");
    }

    /**
     * The soft stop and every ingress's {@link Ingress#goAway()}; waits for the in-flight trackers (the
     * shutdown's and every ingress's) to reach zero and the services to return.
     */
    private String drain(Duration gracePeriod) {
        EngineScope<Object, Void> r = ctx.root();
        r.requestStop();
        s.stopRequested.countDown();
        callIngresses(false);
        long graceDeadline = beforeTheFlush(ShutdownTime.deadlineNanos(gracePeriod));
        s.cancelAtNanos = graceDeadline;
        boolean idle = awaitIdle(graceDeadline);
        boolean servicesDone = r.awaitNoRunning(graceDeadline, s.escalatedCheck);
        inFlightAtCancel = ctx.inFlight().inFlight();
        ingressInFlightAtCancel = ingressInFlight();
        drained = ctx.inFlight().completed() - ctx.completedAtTrigger();
        drainComplete = idle && servicesDone;
        return drainComplete ? "drained: " + drained + " requests completed, services returned"
                : (s.escalated ? "cut short by escalation" : "grace period expired") + ": " + inFlightAtCancel
                        + " requests in flight, " + (ingresses.isEmpty() ? ""
                        : ingressInFlightAtCancel + " in ingresses, ") + r.runningCount() + " services running";
    }

    /**
     * Publishes the report so far for {@link Shutdown#drain()}; if {@code drain()} started the sequence, holds
     * until another trigger, escalation, or the last moment that leaves the rest of the sequence its budgets.
     */
    private void endDrain(Instant startedAt) {
        s.drainResult = new DrainResult(ctx.reason().describe(), ctx.triggerKind(), startedAt,
                Duration.ofNanos(ShutdownTime.nanoTime() - s.triggerNanos), drainComplete, ctx.inFlightAtTrigger(),
                drained, inFlightAtCancel + ingressInFlightAtCancel, rec.phases, rec.hooks);
        s.drainEnded.countDown();
        if (!"DRAIN_REQUEST".equals(ctx.triggerKind())) {
            return;
        }
        ShutdownConfig cfg = ctx.cfg();
        long rest = Timers.saturatedAdd(Timers.saturatedAdd(Timers.saturatedNanos(cfg.cancelGrace()),
                Timers.saturatedNanos(cfg.persistBudget())), Timers.saturatedNanos(cfg.cleanupBudget()));
        // the end of the phases' budget (the telemetry-flush slice is held back from it), less what the rest needs
        long holdUntil = s.triggers.phasesDeadlineNanos() - rest;
        LOG.info("drain requested and done (complete: {}); holding until SIGTERM (or another trigger) to finish the "
                + "shutdown", drainComplete);
        String why = "no trigger came within the budget";
        s.lock.lock();
        try {
            while (!s.holdReleased && !s.escalated) {
                long left = holdUntil - ShutdownTime.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    ShutdownTime.awaitNanos(s.changed, left);
                } catch (InterruptedException e) {
                    s.coordinatorInterrupted = true;
                    why = "the shutdown's thread was interrupted";
                    break;
                }
            }
            if (s.holdReleased || s.escalated) {
                why = "a trigger came";
            }
        } finally {
            s.lock.unlock();
        }
        LOG.info("finishing the shutdown after the requested drain: {}", why);
    }

    /** Until the shutdown's tracker and every ingress's are at zero at once; whether they were by the deadline. */
    private boolean awaitIdle(long deadlineNanos) {
        try {
            for (;;) {
                if (!ctx.inFlight().awaitIdleNanos(deadlineNanos, s.escalatedCheck)) {
                    return false;
                }
                for (Registered<Ingress> i : ingresses) {
                    if (!i.hook().inFlight().awaitIdleNanos(deadlineNanos, s.escalatedCheck)) {
                        return false;
                    }
                }
                if (ctx.inFlight().inFlight() == 0 && ingressInFlight() == 0) {
                    return true; // else work entered one tracker while the wait was on another: again
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ctx.inFlight().inFlight() == 0 && ingressInFlight() == 0;
        }
    }

    private long ingressInFlight() {
        long sum = 0;
        for (Registered<Ingress> i : ingresses) {
            sum += i.hook().inFlight().inFlight();
        }
        return sum;
    }

    /**
     * {@link Ingress#goAway()} (or, with {@code force}, {@link Ingress#forceClose()}) on every ingress in
     * registration order; one that throws is logged and the next still runs.
     */
    private void callIngresses(boolean force) {
        for (Registered<Ingress> i : ingresses) {
            try {
                if (force) {
                    i.hook().forceClose();
                } else {
                    i.hook().goAway();
                }
            } catch (RuntimeException e) {
                LOG.warn("ingress {}: {}() threw; the shutdown goes on", i.name(), force ? "forceClose" : "goAway", e);
            }
        }
    }

    /**
     * {@code deadline}, or the start of the telemetry-flush slice if that is earlier: a drain or cancel that
     * started late (an ingress's slow {@code goAway()}, a slow listener) does not run into the flush's time.
     */
    private long beforeTheFlush(long deadline) {
        long phasesEnd = s.triggers.phasesDeadlineNanos();
        return phasesEnd - deadline < 0 ? phasesEnd : deadline;
    }

    private String cancel(Duration cancelGrace) {
        EngineScope<Object, Void> r = ctx.root();
        s.cancelAtNanos = ShutdownTime.nanoTime();
        tasksCancelled = r.totalRunning();
        r.cancel(ctx.reason());
        if (!drainComplete) {
            callIngresses(true); // after the scope's cancel: the handlers running in it are interrupted already
        }
        long cancelDeadline = beforeTheFlush(ShutdownTime.deadlineNanos(cancelGrace));
        boolean allStopped = r.awaitNoRunning(cancelDeadline, NEVER) && r.totalRunning() == 0;
        return tasksCancelled == 0 ? "nothing left to cancel"
                : "interrupted " + tasksCancelled + " tasks" + (allStopped ? ", all stopped" : ", some did not stop");
    }

    private String abandon() {
        stragglers = ctx.root().collectStragglers();
        // at once: the cancel phase waited its grace already, or what was left of it before the telemetry flush
        ctx.root().closeWithoutWaiting();
        ctx.readiness().advanceTo(Readiness.State.STOPPED);
        return stragglers.isEmpty() ? "no stragglers" : stragglers.size() + " stragglers abandoned";
    }

    /** The state hooks, by the never-ready rule (see {@link Shutdown#onPersist(String, Shutdown.PersistHook)}). */
    private String persist(Duration budget) {
        List<Registered<Shutdown.PersistHook>> states = List.copyOf(ctx.persistHooks());
        int skipped = 0;
        List<Registered<Shutdown.PersistHook>> toRun = new ArrayList<>();
        for (Registered<Shutdown.PersistHook> h : states) {
            if (!ctx.wasReady() && h.whenNeverReady() == Shutdown.WhenNeverReady.SKIP) {
                rec.skip(Phase.PERSIST, h.name(), "the service never became ready: the state a previous run left "
                        + "is kept (register with WhenNeverReady.RUN to persist anyway)");
                skipped++;
            } else {
                toRun.add(h);
            }
        }
        var shares = new HookShares(s, toRun, budget);
        for (int i = 0; i < toRun.size(); i++) {
            Registered<Shutdown.PersistHook> h = toRun.get(i);
            Duration b = shares.budget(i);
            if (rec.hook(Phase.PERSIST, h.name(), b, new HookCall(Phase.PERSIST, h.hook(), b))
                    != ShutdownReport.HookStatus.OK) {
                hookFailures++;
            }
        }
        return states.size() + " state hooks, " + (toRun.size() - rec.failed(Phase.PERSIST) + skipped) + " ok"
                + (skipped > 0 ? ", " + skipped + " skipped: the service never became ready" : "");
    }

    /** The resources, in reverse order of registration. */
    private String cleanup(Duration budget) {
        List<Registered<AutoCloseable>> reversed = new ArrayList<>(ctx.cleanups());
        Collections.reverse(reversed);
        var shares = new HookShares(s, reversed, budget);
        for (int i = 0; i < reversed.size(); i++) {
            Registered<AutoCloseable> c = reversed.get(i);
            Duration b = shares.budget(i);
            if (rec.hook(Phase.CLEANUP, c.name(), b, new HookCall(Phase.CLEANUP, c.hook(), b))
                    != ShutdownReport.HookStatus.OK) {
                hookFailures++;
            }
        }
        return reversed.size() + " resources, closed in reverse order, "
                + (reversed.size() - rec.failed(Phase.CLEANUP)) + " ok";
    }

    private String report() {
        List<IngressDescription> described = new ArrayList<>(ingresses.size());
        for (Registered<Ingress> i : ingresses) {
            try {
                described.add(Objects.requireNonNull(i.hook().describe(), "describe() returned null"));
            } catch (RuntimeException e) {
                LOG.warn("ingress {}: describe() failed; it is left out of the report", i.name(), e);
            }
        }
        ingressDescriptions = described;
        if (ctx.reason() instanceof CancelReason.SubtaskFailed || "STARTER_FAILED".equals(ctx.triggerKind())) {
            outcome = ShutdownReport.Outcome.SERVICE_FAILED;
        } else if (tasksCancelled > 0 || inFlightAtCancel > 0 || ingressInFlightAtCancel > 0
                || !stragglers.isEmpty()) {
            outcome = ShutdownReport.Outcome.FORCED;
        } else if (hookFailures > 0) {
            outcome = ShutdownReport.Outcome.HOOKS_FAILED;
        } else {
            outcome = ShutdownReport.Outcome.CLEAN;
        }
        return "outcome " + outcome;
    }

    /** The telemetry-flush hooks, in registration order, in the slice held back for them (see {@link Triggers#startFlush}). */
    private String telemetryFlush(Duration slice) {
        s.triggers.startFlush();
        List<Registered<Shutdown.Hook>> flushes = List.copyOf(s.registry.telemetryFlushes);
        var shares = new HookShares(s, flushes, slice);
        for (int i = 0; i < flushes.size(); i++) {
            Registered<Shutdown.Hook> f = flushes.get(i);
            rec.hook(Phase.TELEMETRY_FLUSH, f.name(), shares.budget(i),
                    new HookCall(Phase.TELEMETRY_FLUSH, f.hook(), Duration.ZERO));
        }
        return flushes.size() + " telemetry flushes in a slice of " + ShutdownConfig.ms(slice) + ", "
                + (flushes.size() - rec.failed(Phase.TELEMETRY_FLUSH)) + " ok";
    }

    /** Ends the run: the report is published, waiters released, and with {@link Shutdown.ExitPolicy#EXIT} the JVM exits. */
    static void finish(Shutdown s, ShutdownReport rep, int exitCode) {
        s.stopRequested.countDown(); // if the sequence failed before the drain
        s.drainEnded.countDown(); // likewise: drain() then reports that the sequence failed
        s.phase = Phase.EXIT;
        s.report = rep;
        s.triggers.markDone();
        s.starterWatch.unwatch();
        SignalHandling.release(s);
        s.done.countDown();
        if (s.cfg.exitPolicy() == Shutdown.ExitPolicy.EXIT && !s.jvmShuttingDown
                && exitCode != ShutdownReport.EXIT_CODE_OF_THE_JVM) {
            LOG.info("exiting with code {}", exitCode);
            removeJvmHook(s);
            System.exit(exitCode);
        }
    }

    /**
     * Removes the fallback JVM shutdown hook: once the sequence has run it has nothing left to do, and
     * removing it spares System.exit a thread start and join (every other shutdown hook still runs).
     *
     * @return {@code false} if the JVM is already exiting (then the hook runs and returns at once)
     */
    private static boolean removeJvmHook(Shutdown s) {
        Thread hook = s.jvmHook;
        if (hook == null) {
            return !s.jvmShuttingDown;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
            s.jvmHook = null;
            return true;
        } catch (IllegalStateException alreadyExiting) {
            return false;
        }
    }

    /** How a wait of the sequence ended. */
    enum Wait { WAITED, ESCALATED, INTERRUPTED }

    /**
     * Waits {@code d} unless escalated. An interrupt of the coordinator ends the wait and is reported as
     * such; the flag is kept clear for the rest of the sequence (whose every later wait would otherwise end
     * at once) and restored before the exit.
     */
    private Wait waitUnlessEscalated(Duration d) {
        long deadline = ShutdownTime.deadlineNanos(d);
        s.lock.lock();
        try {
            while (!s.escalated) {
                long left = deadline - ShutdownTime.nanoTime();
                if (left <= 0) {
                    return Wait.WAITED;
                }
                try {
                    ShutdownTime.awaitNanos(s.changed, left);
                } catch (InterruptedException e) {
                    s.coordinatorInterrupted = true;
                    return Wait.INTERRUPTED;
                }
            }
            return Wait.ESCALATED;
        } finally {
            s.lock.unlock();
        }
    }

    /** The root scope's joiner: a supervisor whose failed services start the shutdown. */
    private static final class ServiceJoiner implements Joiner<Object, Void> {
        private final Shutdown s;

        ServiceJoiner(Shutdown s) {
            this.s = s;
        }

        @Override
        public boolean onComplete(Subtask<?> subtask) {
            if (subtask.state() == Subtask.State.FAILED && !s.isShuttingDown()) {
                LOG.error("service failed; starting the shutdown", subtask.exception());
                s.trigger(new CancelReason.SubtaskFailed(subtask.scope().path(), String.valueOf(subtask),
                        subtask.exception()), "SERVICE_FAILED");
            }
            return false;
        }

        @Override
        public Void result() {
            return null;
        }
    }
}
