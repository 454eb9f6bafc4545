package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.internal.ThreadDump;
import dev.quiesce.internal.Timers;
import dev.quiesce.internal.Uninterruptibles;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shutdown's life from start-up to the end of its sequence: arming it (signal handlers, the JVM
 * shutdown hook, the starter watch, the warm-up, the coordinator thread), its state
 * ({@code RUNNING → TRIGGERED → DONE}, by CAS), the triggers and escalation, the watchdog, and the clocks
 * that follow from the trigger (what is left of the budget, the time until the cancel).
 */
final class Triggers {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);
    private static final int RUNNING = 0;
    private static final int TRIGGERED = 1;
    private static final int DONE = 2;

    private final Shutdown s;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile long budgetDeadlineNanos = Long.MAX_VALUE;

    // Made when the shutdown is built, not after the trigger: a lambda's first evaluation links an
    // invokedynamic call site and spins a class (measured: 1-10 ms each on a cold JVM), and the sequence
    // runs once, cold. (String concatenation has the same first-use cost; the core is compiled with
    // -XDstringConcat=inline, see the parent pom, so + links nothing.)
    private final Runnable watchdogTask = this::watchdog;

    Triggers(Shutdown s) {
        this.s = s;
    }

    /** Whether no trigger has arrived yet. */
    boolean isRunning() {
        return state.get() == RUNNING;
    }

    /** Installs what can trigger the sequence and starts the coordinator; returns once the root scope is open. */
    void arm() {
        SignalHandling.claim(s);
        // The signal handlers first: until they are installed, a SIGTERM is the JVM's, which exits with 143
        // and runs shutdown hooks while this start-up goes on, so the process's exit code and this sequence's
        // report would disagree. A signal from now on is queued and starts this sequence (even before the
        // coordinator runs: it runs the sequence as soon as it starts).
        s.signals.install();
        Thread hook = Thread.ofPlatform().name("quiesce-jvm-shutdown-hook").unstarted(s.signals::onJvmShutdown);
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            s.jvmHook = hook;
        } catch (IllegalStateException exiting) {
            // the JVM is already exiting (a signal before the handlers, or System.exit elsewhere): its exit
            // code stands; run what can be run of the sequence before it halts, and let start-up see it
            s.jvmShuttingDown = true;
            LOG.warn("the JVM was already exiting when the shutdown started; running the sequence while it exits");
        }
        s.starterWatch.watch();
        WarmUp.preload();
        Thread c = Thread.ofPlatform().name("quiesce-shutdown").daemon(false).unstarted(this::coordinate);
        c.start();
        Uninterruptibles.await(s.rootOpened);
        if (s.jvmShuttingDown) {
            trigger(CancelReason.explicit("JVM shutdown (it was already exiting when the shutdown started)"),
                    "JVM_SHUTDOWN");
        }
        LOG.info("shutdown armed: {}", s.cfg);
    }

    private void coordinate() {
        ShutdownSequence.coordinate(s);
    }

    /** The coordinator waits here, after opening the root scope, until a trigger. */
    void awaitTrigger() {
        s.lock.lock();
        try {
            while (state.get() == RUNNING) {
                s.changed.awaitUninterruptibly();
            }
        } finally {
            s.lock.unlock();
        }
    }

    /** {@link Shutdown#markReady()}: under the lock, against {@link #trigger}, so it is either before or never. */
    boolean markReady() {
        boolean ready;
        s.lock.lock();
        try {
            ready = state.get() == RUNNING;
            if (ready) {
                s.becameReady = true;
                s.readiness.advanceTo(Readiness.State.SERVING);
            }
        } finally {
            s.lock.unlock();
        }
        s.starterWatch.unwatch();
        if (!ready) {
            LOG.info("markReady() ignored: the shutdown has already started");
        }
        return ready;
    }

    /** The sequence has ended. */
    void markDone() {
        state.set(DONE);
    }

    /**
     * Starts the sequence unless it has started; whether this call started it. A trigger that comes after
     * {@link Shutdown#drain()} started it releases the sequence's hold after the drain.
     */
    boolean trigger(CancelReason why, String kind) {
        if (start(why, kind)) {
            return true;
        }
        releaseHold();
        return false;
    }

    /** {@link Shutdown#drain()}: starts the sequence unless it has started, without releasing a hold. */
    boolean requestDrain() {
        return start(CancelReason.explicit("drain requested (POST /quiesce/drain or Shutdown.drain())"), "DRAIN_REQUEST");
    }

    /** Lets a sequence started by {@link Shutdown#drain()} go on past its drain. */
    void releaseHold() {
        s.holdReleased = true;
        signalChange();
    }

    private boolean start(CancelReason why, String kind) {
        s.lock.lock(); // against markReady(): see becameReady()
        try {
            if (!state.compareAndSet(RUNNING, TRIGGERED)) {
                return false;
            }
            s.triggerNanos = ShutdownTime.nanoTime();
            s.reason = why;
            s.triggerKind = kind;
        } finally {
            s.lock.unlock();
        }
        s.inFlightAtTrigger = s.inFlight().inFlight();
        s.completedAtTrigger = s.inFlight().completed();
        // the telemetry-flush slice is held back: until the flush starts (see startFlush) the budget ends before it
        budgetDeadlineNanos = ShutdownTime.deadlineNanos(s.cfg.sequenceBudget().minus(s.cfg.telemetryFlush()));
        // plain nanosecond arithmetic: Duration.dividedBy(long) goes through BigDecimal, whose classes
        // would be loaded here, after SIGTERM, inside the measured shutdown
        long watchdogDelay = Timers.saturatedNanos(s.cfg.platformBudget()) - Timers.saturatedNanos(s.cfg.margin()) / 2;
        ShutdownTime.schedule(watchdogTask, watchdogDelay);
        signalChange();
        return true;
    }

    /** {@link Shutdown#escalate()}: wakes every wait of the sequence, which then sees {@code escalated}. */
    void escalate() {
        if (state.get() == RUNNING) {
            return;
        }
        s.escalated = true;
        signalChange();
        s.inFlight().wakeWaiters();
        for (Registered<Ingress> i : s.registry.ingresses) {
            i.hook().inFlight().wakeWaiters();
        }
        EngineScope<Object, Void> r = s.root;
        if (r != null) {
            r.wakeOwner();
        }
    }

    private void signalChange() {
        s.lock.lock();
        try {
            s.changed.signalAll();
        } finally {
            s.lock.unlock();
        }
    }

    private void watchdog() {
        if (state.get() == DONE) {
            return;
        }
        String dump = ThreadDump.capture("watchdog: the shutdown sequence exceeded its budget, in phase " + s.phase);
        System.err.println(dump);
        LOG.error("shutdown exceeded the platform budget of {} (phase {}); halting with exit code {}",
                s.cfg.platformBudget(), s.phase, ShutdownReport.HALTED_EXIT_CODE);
        Runtime.getRuntime().halt(ShutdownReport.HALTED_EXIT_CODE);
    }

    /** When the budget of the phases before the telemetry flush ends (the start of the slice held back for it). */
    long phasesDeadlineNanos() {
        return budgetDeadlineNanos;
    }

    /**
     * The telemetry flush starts: the budget becomes its slice, whole, from now, even if the phases before it
     * ran past their deadline (the watchdog still bounds the whole sequence).
     */
    void startFlush() {
        long phasesLeft = Math.max(0, budgetDeadlineNanos - ShutdownTime.nanoTime()); // a flush that starts early keeps it
        budgetDeadlineNanos = ShutdownTime.deadlineNanos(Duration.ofNanos(Timers.saturatedAdd(phasesLeft,
                Timers.saturatedNanos(s.cfg.telemetryFlush()))));
    }

    /** {@link Shutdown#remaining()}. */
    Duration remaining() {
        long d = budgetDeadlineNanos;
        if (state.get() == RUNNING || d == Long.MAX_VALUE) {
            return s.cfg.sequenceBudget().minus(s.cfg.telemetryFlush());
        }
        long left = d - ShutdownTime.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** {@link Shutdown#untilCancel()}. */
    Optional<Duration> untilCancel() {
        if (state.get() == RUNNING) {
            return Optional.empty();
        }
        long at = s.cancelAtNanos;
        if (at == Long.MAX_VALUE) {
            ShutdownConfig cfg = s.cfg;
            long sum = Timers.saturatedAdd(Timers.saturatedAdd(Timers.saturatedNanos(cfg.preDrainDelay()),
                    Timers.saturatedNanos(cfg.stopAcceptingBudget())), Timers.saturatedNanos(cfg.gracePeriod()));
            long elapsed = ShutdownTime.nanoTime() - s.triggerNanos;
            return Optional.of(elapsed >= sum ? Duration.ZERO : Duration.ofNanos(sum - elapsed));
        }
        long left = at - ShutdownTime.nanoTime();
        return Optional.of(left <= 0 ? Duration.ZERO : Duration.ofNanos(left));
    }
}
