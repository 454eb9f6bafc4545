package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Straggler;
import dev.quiesce.Subtask;
import dev.quiesce.internal.HookRunner;
import dev.quiesce.internal.NotRunSubtasks;
import dev.quiesce.internal.PhaseEvent;
import dev.quiesce.internal.ScopeImpl;
import dev.quiesce.internal.Signals;
import dev.quiesce.internal.ThreadDump;
import dev.quiesce.internal.Timers;
import dev.quiesce.internal.Uninterruptibles;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root scope of a service: turns SIGTERM (or SIGINT, a programmatic {@link #initiate}, a failed
 * service, or the JVM's own shutdown) into one ordered, deadline-bounded sequence that finishes
 * in-flight work, persists state, releases resources in reverse order, reports what it did, and exits.
 *
 * {@snippet class=dev.quiesce.snippets.ShutdownSnippets region=shutdown}
 *
 * <h2>The sequence</h2>
 * {@link Phase#TRIGGER} → {@link Phase#READINESS} (readiness {@code DRAINING}, then the pre-drain delay)
 * → {@link Phase#STOP_ACCEPTING} (registered listeners) → {@link Phase#DRAIN} (soft stop to services;
 * wait for the {@linkplain #inFlight() in-flight tracker} to reach zero and services to return, up to the
 * grace period) → {@link Phase#CANCEL} (interrupt the rest, wait the cancel grace) → {@link Phase#ABANDON}
 * (stragglers reported with scope path and stack) → {@link Phase#PERSIST} (state hooks, each on its own
 * thread outside the cancelled tree, each told its budget) → {@link Phase#CLEANUP} (resources in reverse
 * order, each with its own timeout; a failure or timeout never stops the next) → {@link Phase#REPORT} →
 * {@link Phase#EXIT}. Every phase is timed, logged, sent to {@linkplain Builder#onPhase listeners}, recorded
 * as a JFR event and kept in the {@link ShutdownReport}.
 *
 * <h2>Signals</h2>
 * SIGTERM and SIGINT start the sequence; a second one skips what is left of the pre-drain delay and the
 * grace period and cancels now; a third dumps the threads and halts. SIGHUP runs the reload hooks and the
 * service keeps serving. The signal handler only notifies; a dispatcher thread acts. Where a signal
 * cannot be handled (no {@code jdk.unsupported} in the runtime, or the process inherited it as ignored,
 * which is logged), a JVM shutdown hook runs the same sequence when the JVM exits.
 *
 * <h2>Budget</h2>
 * The phases' budgets must fit the platform budget (Kubernetes' {@code terminationGracePeriodSeconds})
 * minus a margin; {@link Builder#start()} refuses a configuration that does not, naming the phase to
 * shorten. A watchdog dumps the threads and halts the JVM with {@link ShutdownReport#HALTED_EXIT_CODE}
 * if the sequence still runs at the platform budget minus half the margin.
 *
 * <h2>A shutdown during start-up</h2>
 * The signal handlers are installed first thing in {@link Builder#start()}; a SIGTERM before that is the
 * JVM's (exit code 143, nothing to report). Once the sequence has started, the rest of a start-up does no
 * harm: {@link #fork} returns a subtask that never runs, {@link #markReady()} is ignored (and returns
 * {@code false}), a hook registered before its phase runs and one registered once its phase has begun is
 * refused with an {@link IllegalStateException} that says what to do; a service that never became ready
 * (see {@link #becameReady()}) waits no pre-drain delay and keeps the state its previous run left.
 *
 * <p>Thread-safe: every method may be called from any thread. Registration methods may be called until
 * the sequence reaches the phase that uses them.
 */
public final class Shutdown {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    private static final int RUNNING = 0;
    private static final int TRIGGERED = 1;
    private static final int DONE = 2;

    /** What happens when the sequence ends. */
    public enum ExitPolicy {
        /** Call {@link System#exit(int)} with the report's exit code (unless the JVM is already exiting). */
        EXIT,
        /**
         * Return: {@link #awaitTermination()} returns the report and the application decides. The shutdown's
         * coordinator thread is not a daemon either way: the JVM does not exit (say, when {@code main}
         * returns) before the sequence has run.
         */
        RETURN
    }

    /** A hook without arguments: a stop-accepting listener, a reload hook, a service body. */
    @FunctionalInterface
    public interface Hook {
        /** Runs the hook. */
        void run() throws Exception;
    }

    /**
     * A state hook; it is told how long it may take. A hook registered with {@link WhenNeverReady#RUN} can ask
     * {@link Shutdown#becameReady()} whether the service ever became ready, i.e. whether the state it holds is
     * the state of a service that ran or only what a failed start-up left.
     */
    @FunctionalInterface
    public interface PersistHook {
        /** Persists state within {@code budget}. */
        void persist(Duration budget) throws Exception;
    }

    /**
     * What a state hook does when the service never became ready ({@link #markReady()} was not called before
     * the sequence started: a failed or interrupted start-up).
     */
    public enum WhenNeverReady {
        /**
         * The default: the hook is skipped (reported {@link ShutdownReport.HookStatus#SKIPPED}), so that the
         * state a previous run left behind is not overwritten by a service that never served.
         */
        SKIP,
        /** The hook runs anyway; it can tell with {@link Shutdown#becameReady()}. */
        RUN
    }

    /** Is told about every phase as it starts and ends (on the shutdown's coordinator thread). */
    public interface PhaseListener {
        /** Called when {@code phase} starts. */
        default void started(Phase phase) {}

        /** Called when a phase ends, with its timing and note. */
        default void ended(ShutdownReport.PhaseTiming timing) {}

        /** Called with the report once it is made, before the exit (e.g. to write it to a file). */
        default void reported(ShutdownReport report) {}
    }

    /**
     * A registered hook.
     *
     * @param timeout its own timeout, or {@code null} for a share of its phase's budget (see {@link #onCleanup})
     * @param whenNeverReady for state hooks: whether it runs after a start-up that never became ready
     */
    private record Registered<H>(String name, H hook, Duration timeout, WhenNeverReady whenNeverReady) {}

    private final Config cfg;
    private final Readiness readiness = new Readiness();
    private final InFlightTracker inFlight = new InFlightTracker();
    private final List<Registered<Hook>> stopListeners = new CopyOnWriteArrayList<>();
    private final List<Registered<PersistHook>> persistHooks = new CopyOnWriteArrayList<>();
    private final List<Registered<AutoCloseable>> cleanups = new CopyOnWriteArrayList<>();
    private final List<Registered<Hook>> reloadHooks = new CopyOnWriteArrayList<>();

    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CountDownLatch rootOpened = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();
    private final AtomicInteger stopSignals = new AtomicInteger();
    private final AtomicInteger reloads = new AtomicInteger();

    private volatile ScopeImpl<Object, Void> root;
    private volatile CancelReason reason;
    private volatile String triggerKind;
    private volatile boolean escalated;
    private volatile boolean becameReady;
    private volatile boolean coordinatorInterrupted;
    private volatile boolean jvmShuttingDown;
    private volatile Integer exitCodeOverride;
    private volatile long triggerNanos;
    private volatile long budgetDeadlineNanos = Long.MAX_VALUE;
    private volatile long cancelAtNanos = Long.MAX_VALUE;
    private volatile long inFlightAtTrigger;
    private volatile long completedAtTrigger;
    private volatile Phase phase;
    private volatile ShutdownReport report;
    private volatile Thread coordinator;
    private volatile Thread jvmHook;
    /** The thread that called {@code start()}, and the handlers around ours on it; see {@link #watchStarter()}. */
    private volatile Thread starter;
    private volatile Thread.UncaughtExceptionHandler starterHandler;
    private volatile Thread.UncaughtExceptionHandler starterOwnHandler;

    // Made when the shutdown is built, not after the trigger: a lambda's first evaluation links an
    // invokedynamic call site and spins a class (measured: 1-10 ms each on a cold JVM), and the sequence
    // runs once, cold. (String concatenation has the same first-use cost; the core is compiled with
    // -XDstringConcat=inline, see the parent pom, so + links nothing.)
    private final Runnable watchdogTask = this::watchdog;
    private final BooleanSupplier escalatedCheck = () -> escalated;
    private static final BooleanSupplier NEVER = () -> false;

    private Shutdown(Config cfg) {
        this.cfg = cfg;
    }

    /** A builder with the defaults: 30 s platform budget, 2 s margin, 15 s grace, 2 s cancel grace. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------ registration

    /**
     * Runs {@code service} as a supervised task of the shutdown's root scope, in a virtual thread named
     * {@code /<name>/<service>}. A service should return when {@link Scope#stopRequested()} turns true
     * (the drain phase asks), and must stop when interrupted (the cancel phase). A service that fails
     * starts the shutdown, with exit code 1.
     *
     * <p>Once the sequence has started (a SIGTERM during start-up), the service is not started: like a fork
     * into a cancelled {@code StructuredTaskScope}, this returns a subtask that never runs and is
     * {@link Subtask.State#CANCELLED}, rather than throwing. A fork that races with the trigger may start;
     * the drain then asks it to stop like any other service.
     */
    public Subtask<Object> fork(String name, Hook service) {
        requireName(name);
        Objects.requireNonNull(service, "service must not be null");
        ScopeImpl<Object, Void> r = root();
        if (state.get() != RUNNING) {
            LOG.info("service {} not started: the shutdown has already started", name);
            return NotRunSubtasks.cancelled(r);
        }
        try {
            return r.forkService(name, new ServiceCall(service));
        } catch (IllegalStateException closed) {
            if (state.get() == RUNNING) {
                throw closed;
            }
            // the sequence started and closed the root scope since the check
            LOG.info("service {} not started: the shutdown has already started", name);
            return NotRunSubtasks.cancelled(r);
        }
    }

    /** A service as the root scope runs it (a class, not a lambda: see {@link HookCall}). */
    private static final class ServiceCall implements java.util.concurrent.Callable<Object> {
        private final Hook service;

        ServiceCall(Hook service) {
            this.service = service;
        }

        @Override
        public Object call() throws Exception {
            service.run();
            return null;
        }
    }

    /**
     * Registers a listener that stops accepting new work (closes a server's accept side) in
     * {@link Phase#STOP_ACCEPTING}. The listeners share the stop-accepting budget by the rule of
     * {@link #onCleanup(String, AutoCloseable)}: each is guaranteed an equal share, so one that hangs does
     * not keep the others from running.
     *
     * @throws IllegalStateException if the sequence has already reached {@link Phase#STOP_ACCEPTING}: the
     *     listener would never run (see {@link #onCleanup(String, AutoCloseable)})
     */
    public void onStopAccepting(String name, Hook listener) {
        register(stopListeners, name, listener, null, WhenNeverReady.RUN, "stop-accepting", Phase.STOP_ACCEPTING);
    }

    /**
     * Registers a state hook for {@link Phase#PERSIST}. State hooks share the persist budget by the rule of
     * {@link #onCleanup(String, AutoCloseable)}: each hook without a timeout of its own is guaranteed an equal
     * share of the budget (budget / number of state hooks) and may take longer when the hooks before it took
     * less, up to what is left of the phase minus the shares of the hooks after it; so one hook that never
     * returns is timed out at its share and every other hook still runs. Hooks run in registration order.
     *
     * <p>If the service never became ready ({@link #markReady()} was not called before the sequence started:
     * a failed or interrupted start-up), the hook is skipped and reported {@link ShutdownReport.HookStatus#SKIPPED}
     * with the reason, so that a start-up that failed does not overwrite the state a previous run left;
     * register it with {@link WhenNeverReady#RUN} to run it anyway.
     *
     * @throws IllegalStateException if the sequence has already reached {@link Phase#PERSIST}: the hook
     *     would never run; persist the state yourself
     */
    public void onPersist(String name, PersistHook hook) {
        register(persistHooks, name, hook, null, WhenNeverReady.SKIP, "persist", Phase.PERSIST);
    }

    /**
     * Like {@link #onPersist(String, PersistHook)} with a timeout of its own (at most the persist budget): the
     * hook gets its timeout, or what is left of the phase if that is less, instead of a share.
     */
    public void onPersist(String name, PersistHook hook, Duration timeout) {
        register(persistHooks, name, hook, checkTimeout(timeout, cfg.persistBudget, "persist"), WhenNeverReady.SKIP,
                "persist", Phase.PERSIST);
    }

    /** Like {@link #onPersist(String, PersistHook)}, saying what the hook does if the service never became ready. */
    public void onPersist(String name, PersistHook hook, WhenNeverReady whenNeverReady) {
        Objects.requireNonNull(whenNeverReady, "whenNeverReady must not be null; use WhenNeverReady.SKIP or RUN");
        register(persistHooks, name, hook, null, whenNeverReady, "persist", Phase.PERSIST);
    }

    /**
     * Registers a resource to close in {@link Phase#CLEANUP}. Resources close in reverse order of
     * registration (register the pool before the server that uses it), also after a start-up that never
     * became ready.
     *
     * <p>Budget: the resources share the cleanup budget. Each resource without a timeout of its own is
     * guaranteed an equal share (cleanup budget / number of resources) and may take longer when those
     * closed before it took less: up to what is left of the phase minus the shares of those still to close.
     * So a resource whose {@code close()} never returns is interrupted and abandoned at its share, reported
     * {@link ShutdownReport.HookStatus#TIMED_OUT}, and every resource after it still closes. A resource with
     * a timeout of its own ({@link #onCleanup(String, AutoCloseable, Duration)}) gets that timeout (or what is
     * left of the phase, if less) instead of a share.
     *
     * @throws IllegalStateException if the sequence has already reached {@link Phase#CLEANUP}: the resource
     *     would never be closed by the shutdown; close it yourself. Registered after the trigger but before
     *     its phase, it is closed like any other.
     */
    public void onCleanup(String name, AutoCloseable resource) {
        register(cleanups, name, resource, null, WhenNeverReady.RUN, "cleanup", Phase.CLEANUP);
    }

    /** Like {@link #onCleanup(String, AutoCloseable)} with a timeout of its own (at most the cleanup budget). */
    public void onCleanup(String name, AutoCloseable resource, Duration timeout) {
        register(cleanups, name, resource, checkTimeout(timeout, cfg.cleanupBudget, "cleanup"), WhenNeverReady.RUN,
                "cleanup", Phase.CLEANUP);
    }

    /** Registers a hook that SIGHUP runs (reload configuration, reopen logs); the service keeps serving. */
    public void onReload(String name, Hook hook) {
        requireName(name);
        Objects.requireNonNull(hook, "reload hook must not be null");
        reloadHooks.add(new Registered<>(name, hook, cfg.reloadTimeout, WhenNeverReady.RUN));
    }

    private <H> void register(List<Registered<H>> list, String name, H hook, Duration timeout,
            WhenNeverReady whenNeverReady, String what, Phase usedIn) {
        requireName(name);
        Objects.requireNonNull(hook, what + " hook must not be null");
        // under the lock that Recorder.start takes to enter a phase: a hook is either added before its phase
        // reads the list (and runs), or sees the phase and is refused; never added to a list already read
        lock.lock();
        try {
            Phase p = phase;
            if (p != null && p.compareTo(usedIn) >= 0) {
                throw new IllegalStateException("the shutdown is already in phase " + p + ": " + what + " hook "
                        + name + " would never run; register it before the shutdown starts (during start-up, "
                        + "stop starting once isShuttingDown() is true" + (usedIn == Phase.CLEANUP
                        ? ", and close this resource yourself)" : ")"));
            }
            list.add(new Registered<>(name, hook, timeout, whenNeverReady));
        } finally {
            lock.unlock();
        }
    }

    private static Duration checkTimeout(Duration timeout, Duration budget, String what) {
        requirePositive(timeout, what + " timeout");
        if (timeout.compareTo(budget) > 0) {
            throw new IllegalArgumentException(what + " timeout " + ms(timeout) + " is longer than the " + what
                    + " budget " + ms(budget) + ": shorten the timeout or raise the budget with Builder." + what
                    + "Budget(..)");
        }
        return timeout;
    }

    private static void requireName(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("name '" + name + "' must be non-blank and must not contain '/'");
        }
    }

    // ------------------------------------------------------------------ state

    /**
     * Marks the service ready: readiness moves from {@code STARTING} to {@code SERVING}. Startup is over:
     * from now on the thread that called {@code start()} may end however it likes (see
     * {@link Builder#start()}).
     *
     * <p>Once the sequence has started (a SIGTERM during start-up), the call is ignored, as a readiness
     * flip after draining began would be: the service never becomes ready, so the sequence skips the
     * pre-drain delay and the state hooks (see {@link #becameReady()}).
     *
     * @return whether the service is now ready; {@code false} if the shutdown had already started
     */
    public boolean markReady() {
        boolean ready;
        lock.lock(); // against trigger(): the service became ready before the sequence started, or never
        try {
            ready = state.get() == RUNNING;
            if (ready) {
                becameReady = true;
                readiness.advanceTo(Readiness.State.SERVING);
            }
        } finally {
            lock.unlock();
        }
        unwatchStarter();
        if (!ready) {
            LOG.info("markReady() ignored: the shutdown has already started");
        }
        return ready;
    }

    /**
     * Whether the service ever became ready: {@link #markReady()} was called before the sequence started,
     * so readiness was {@code SERVING} at some point and a load balancer may have sent traffic. This is what
     * "was ever accepting traffic" means to the sequence: if it is {@code false} when the sequence starts
     * (a start-up that failed or was interrupted by a signal), there is no pre-drain delay (no load balancer
     * was told to send anything, so none needs to be told to stop), and state hooks are skipped unless
     * registered with {@link WhenNeverReady#RUN}. A listener or server registered before then does not count:
     * it may have accepted a connection, but readiness never said it should receive any.
     */
    public boolean becameReady() {
        return becameReady;
    }

    /** The service's readiness, for health endpoints. */
    public Readiness readiness() {
        return readiness;
    }

    /** The tracker the drain phase waits on: count requests and jobs with it. */
    public InFlightTracker inFlight() {
        return inFlight;
    }

    /** The root scope the services run in (its path is {@code /<name>}); read it, do not join or close it. */
    public Scope<?, ?> scope() {
        return root();
    }

    /** The phase running now, empty before a trigger. */
    public Optional<Phase> phase() {
        return Optional.ofNullable(phase);
    }

    /**
     * Waits until the drain phase asks the services to stop, or until {@code timeout} has elapsed: for a
     * service that waits between units of work, instead of {@code Thread.sleep}, so that the drain does not
     * wait out the rest of its sleep.
     *
     * {@snippet class=dev.quiesce.snippets.ShutdownSnippets region=await-stop-requested}
     *
     * @return {@code true} if the stop has been requested (then {@link Scope#stopRequested()} is also true in
     *     the services), {@code false} if the timeout elapsed first
     * @throws InterruptedException if interrupted while waiting (the cancel phase interrupts services)
     */
    public boolean awaitStopRequested(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return stopRequested.await(Timers.saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    }

    /** Whether the sequence has started. */
    public boolean isShuttingDown() {
        return state.get() != RUNNING;
    }

    /** Time left of the sequence's budget (platform budget minus margin), or the whole budget before a trigger. */
    public Duration remaining() {
        long d = budgetDeadlineNanos;
        if (state.get() == RUNNING || d == Long.MAX_VALUE) {
            return cfg.sequenceBudget;
        }
        long left = d - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /**
     * Time left before unfinished work is cancelled: until the end of the grace period once the drain
     * has started, the pre-drain delay plus the grace period before that once triggered, and empty while
     * the service runs normally. A request handler uses it to decide whether it can still finish.
     */
    public Optional<Duration> untilCancel() {
        if (state.get() == RUNNING) {
            return Optional.empty();
        }
        long at = cancelAtNanos;
        if (at == Long.MAX_VALUE) {
            long sum = Timers.saturatedAdd(Timers.saturatedAdd(Timers.saturatedNanos(cfg.preDrainDelay),
                    Timers.saturatedNanos(cfg.stopAcceptingBudget)), Timers.saturatedNanos(cfg.gracePeriod));
            long elapsed = System.nanoTime() - triggerNanos;
            return Optional.of(elapsed >= sum ? Duration.ZERO : Duration.ofNanos(sum - elapsed));
        }
        long left = at - System.nanoTime();
        return Optional.of(left <= 0 ? Duration.ZERO : Duration.ofNanos(left));
    }

    /** The report, once the sequence has ended. */
    public Optional<ShutdownReport> report() {
        return Optional.ofNullable(report);
    }

    /** This shutdown's configuration, as built. */
    public String describeConfig() {
        return cfg.toString();
    }

    // ------------------------------------------------------------------ triggers

    /** Starts the sequence with an {@link CancelReason.Explicit} reason. Idempotent. */
    public boolean initiate(String why) {
        return initiate(CancelReason.explicit(why));
    }

    /**
     * Starts the sequence for {@code why}; returns at once. Idempotent: only the first trigger counts.
     *
     * @return whether this call started it
     */
    public boolean initiate(CancelReason why) {
        Objects.requireNonNull(why, "reason must not be null");
        return trigger(why, why instanceof CancelReason.Signal ? "SIGNAL" : "PROGRAMMATIC");
    }

    /**
     * Asks the process to exit with {@code code} once the sequence has run: starts it if needed and returns
     * at once, so it never deadlocks, whether called from a task, a hook or a listener.
     */
    public void exit(int code) {
        exitCodeOverride = code;
        trigger(CancelReason.explicit("exit(" + code + ") requested"), "PROGRAMMATIC");
    }

    /** Cuts the pre-drain delay and grace period short, as a second SIGTERM does. */
    public void escalate() {
        if (state.get() == RUNNING) {
            return;
        }
        escalated = true;
        signalChange();
        inFlight.wakeWaiters();
        ScopeImpl<Object, Void> r = root;
        if (r != null) {
            r.wakeOwner();
        }
    }

    private boolean trigger(CancelReason why, String kind) {
        lock.lock(); // against markReady(): see becameReady()
        try {
            if (!state.compareAndSet(RUNNING, TRIGGERED)) {
                return false;
            }
            triggerNanos = System.nanoTime();
            reason = why;
            triggerKind = kind;
        } finally {
            lock.unlock();
        }
        inFlightAtTrigger = inFlight.inFlight();
        completedAtTrigger = inFlight.completed();
        budgetDeadlineNanos = Timers.deadlineNanos(cfg.sequenceBudget);
        // plain nanosecond arithmetic: Duration.dividedBy(long) goes through BigDecimal, whose classes
        // would be loaded here, after SIGTERM, inside the measured shutdown
        long watchdogDelay = Timers.saturatedNanos(cfg.platformBudget) - Timers.saturatedNanos(cfg.margin) / 2;
        Timers.schedule(watchdogTask, watchdogDelay);
        signalChange();
        return true;
    }

    private void signalChange() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void watchdog() {
        if (state.get() == DONE) {
            return;
        }
        String dump = ThreadDump.capture("watchdog: the shutdown sequence exceeded its budget, in phase " + phase);
        System.err.println(dump);
        LOG.error("shutdown exceeded the platform budget of {} (phase {}); halting with exit code {}",
                cfg.platformBudget, phase, ShutdownReport.HALTED_EXIT_CODE);
        Runtime.getRuntime().halt(ShutdownReport.HALTED_EXIT_CODE);
    }

    // ------------------------------------------------------------------ lifecycle

    /** The shutdown that handles signals in this JVM, if any: signals are per process, so one at a time. */
    private static final java.util.concurrent.atomic.AtomicReference<Shutdown> SIGNAL_OWNER =
            new java.util.concurrent.atomic.AtomicReference<>();

    private Shutdown begin() {
        if (!cfg.signals.isEmpty() && !SIGNAL_OWNER.compareAndSet(null, this)) {
            throw new IllegalStateException("another Shutdown (" + SIGNAL_OWNER.get().cfg.name + ") already handles "
                    + "signals in this JVM, and a signal can have only one handler: use one Shutdown per process, "
                    + "or start this one with signals() (none)");
        }
        // The signal handlers first: until they are installed, a SIGTERM is the JVM's, which exits with 143
        // and runs shutdown hooks while this start-up goes on, so the process's exit code and this sequence's
        // report would disagree. A signal from now on is queued and starts this sequence (even before the
        // coordinator runs: it runs the sequence as soon as it starts).
        installSignals();
        Thread hook = Thread.ofPlatform().name("quiesce-jvm-shutdown-hook").unstarted(this::onJvmShutdown);
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            jvmHook = hook;
        } catch (IllegalStateException exiting) {
            // the JVM is already exiting (a signal before the handlers, or System.exit elsewhere): its exit
            // code stands; run what can be run of the sequence before it halts, and let start-up see it
            jvmShuttingDown = true;
            LOG.warn("the JVM was already exiting when the shutdown started; running the sequence while it exits");
        }
        watchStarter();
        preload();
        Thread c = Thread.ofPlatform().name("quiesce-shutdown").daemon(false).unstarted(this::coordinate);
        coordinator = c;
        c.start();
        Uninterruptibles.await(rootOpened);
        if (jvmShuttingDown) {
            trigger(CancelReason.explicit("JVM shutdown (it was already exiting when the shutdown started)"),
                    "JVM_SHUTDOWN");
        }
        LOG.info("shutdown armed: {}", cfg);
        return this;
    }

    /**
     * The coordinator is not a daemon, so that {@code main} may return once the service is up. The flip
     * side: if the thread that started this shutdown (usually {@code main}, in the middle of its startup:
     * a port already in use, a bad configuration) dies of an exception, the process would stay alive,
     * serving nothing, until somebody sent SIGTERM. So that thread's uncaught-exception handler is chained
     * while the service starts: the handler it had runs first (it prints the stack trace as before), then
     * the sequence starts with trigger {@code STARTER_FAILED} and outcome
     * {@link ShutdownReport.Outcome#SERVICE_FAILED} (exit code 1). The handler is put back at
     * {@link #markReady()} (startup is over: a pool thread that started the shutdown may later die of some
     * other task's exception without stopping the service) or when the sequence ends.
     */
    private void watchStarter() {
        Thread t = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = t.getUncaughtExceptionHandler(); // its group if none of its own
        Thread.UncaughtExceptionHandler ours = (thread, failure) -> {
            try {
                previous.uncaughtException(thread, failure);
            } finally {
                starterFailed(thread, failure);
            }
        };
        starterOwnHandler = previous == t.getThreadGroup() ? null : previous;
        starterHandler = ours;
        starter = t;
        t.setUncaughtExceptionHandler(ours);
    }

    private void starterFailed(Thread thread, Throwable failure) {
        if (starter == null || state.get() != RUNNING) {
            return; // startup was over (markReady), or the sequence has already started
        }
        LOG.error("thread {}, which started this shutdown, ended with {}; running the shutdown sequence (exit code 1)",
                thread.getName(), failure.toString());
        trigger(CancelReason.explicit("thread " + thread.getName() + " ended with " + failure), "STARTER_FAILED");
    }

    /** Puts back the starting thread's own uncaught-exception handler, unless somebody replaced ours since. */
    private void unwatchStarter() {
        Thread t = starter;
        if (t != null && t.getUncaughtExceptionHandler() == starterHandler) {
            t.setUncaughtExceptionHandler(starterOwnHandler);
        }
        starter = null;
    }

    /**
     * Loads and initialises what the sequence uses, now rather than after SIGTERM: the first JFR event
     * class alone costs a few hundred milliseconds of class loading, which would otherwise be spent
     * inside the shutdown budget.
     */
    private static void preload() {
        PhaseEvent.warmUp();
        Timers.schedule(() -> { }, 0); // starts the timer thread the watchdog uses
        rehearseReport();
        // links the describe() the TRIGGER phase calls, and HookRunner's thread start, with a hook that does nothing
        if (new CancelReason.Signal("TERM").describe().isEmpty()
                || HookRunner.run("quiesce-warm-up", Duration.ofSeconds(10), new HookCall(Phase.STOP_ACCEPTING,
                        (Hook) () -> { }, Duration.ZERO)).status() != HookRunner.Status.OK) {
            throw new AssertionError("warm-up failed");
        }
        for (Class<?> c : new Class<?>[] {ShutdownReport.class, ShutdownReport.PhaseTiming.class,
                ShutdownReport.HookOutcome.class, ShutdownReport.Outcome.class, ShutdownReport.HookStatus.class,
                HookRunner.class, HookRunner.Result.class, HookRunner.Status.class, Phase.class, ThreadDump.class,
                Recorder.class, HookCall.class, CancelReason.Signal.class, CancelReason.ParentCancelled.class,
                CancelReason.Explicit.class, CancelReason.SubtaskFailed.class, Subtask.State.class}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Renders a report of every phase and hook status once, as text and JSON, and throws it away: the
     * rendering's first run loads and links {@code java.time}'s formatting of {@link Instant} and every
     * string concatenation and lambda of {@link ShutdownReport}, which would otherwise be done after
     * SIGTERM, between the end of the sequence and the exit (measured: 20-30 ms of a cold JVM's time).
     */
    private static void rehearseReport() {
        Instant startedAt = Instant.now().minusNanos(1);
        List<ShutdownReport.PhaseTiming> phases = new ArrayList<>();
        for (Phase p : Phase.values()) {
            phases.add(new ShutdownReport.PhaseTiming(p, Duration.ofNanos(1), Duration.ofNanos(1), "rehearsal"));
        }
        List<ShutdownReport.HookOutcome> hooks = new ArrayList<>();
        for (ShutdownReport.HookStatus st : ShutdownReport.HookStatus.values()) {
            hooks.add(new ShutdownReport.HookOutcome(Phase.CLEANUP, "rehearsal", st, Duration.ZERO,
                    st == ShutdownReport.HookStatus.OK ? Optional.empty() : Optional.of("rehearsal")));
        }
        var rep = new ShutdownReport("rehearsal", "PROGRAMMATIC", startedAt, Duration.ZERO, phases, 0, 0, 0, 0,
                false, List.of(), hooks, ShutdownReport.Outcome.CLEAN, 0);
        if (rep.toText().isEmpty() || rep.toJson().isEmpty()) {
            throw new AssertionError("a report renders to an empty string");
        }
    }

    private ScopeImpl<Object, Void> root() {
        ScopeImpl<Object, Void> r = root;
        if (r == null) {
            throw new IllegalStateException("the shutdown has not started: use Shutdown.builder()...start()");
        }
        return r;
    }

    /** How a signal this shutdown was asked to handle is handled. */
    public enum SignalStatus {
        /** Quiesce's handler is installed. */
        HANDLED,
        /** The process inherited the signal as ignored (e.g. SIGINT of a background job); it stays ignored. */
        IGNORED_BY_PROCESS,
        /** The JVM or OS reserves the signal (e.g. {@code -Xrs}). */
        REFUSED,
        /** This runtime cannot handle signals (no {@code jdk.unsupported}); the JVM shutdown hook is the fallback. */
        UNAVAILABLE
    }

    /** For each signal this shutdown was configured to handle (by name, e.g. {@code TERM}), how it is handled. */
    public java.util.Map<String, SignalStatus> signalHandling() {
        return java.util.Collections.unmodifiableMap(signalStatus);
    }

    private final java.util.Map<String, SignalStatus> signalStatus = new java.util.concurrent.ConcurrentSkipListMap<>();

    private void installSignals() {
        Set<String> handled = new java.util.LinkedHashSet<>();
        for (String s : cfg.signals) {
            handled.add(s);
        }
        if (!Signals.available()) {
            handled.forEach(s -> signalStatus.put(s, SignalStatus.UNAVAILABLE));
            LOG.warn("signals cannot be handled in this runtime: module jdk.unsupported is missing ({}); a JVM "
                    + "shutdown hook runs the shutdown sequence instead and the exit code is the JVM's (143 on "
                    + "SIGTERM); add jdk.unsupported to the runtime image (jlink --add-modules jdk.unsupported)",
                    Signals.unavailableCause());
            return;
        }
        if (handled.isEmpty()) {
            return;
        }
        Thread dispatcher = Thread.ofPlatform().name("quiesce-signals").daemon(true).unstarted(this::dispatchSignals);
        dispatcher.start();
        for (String s : handled) {
            Signals.Install result = Signals.handle(s, () -> signals.offer(s));
            signalStatus.put(s, switch (result) {
                case INSTALLED -> SignalStatus.HANDLED;
                case IGNORED_BY_PROCESS -> SignalStatus.IGNORED_BY_PROCESS;
                case REFUSED -> SignalStatus.REFUSED;
                case UNAVAILABLE -> SignalStatus.UNAVAILABLE;
            });
            switch (result) {
                case INSTALLED -> LOG.debug("handling SIG{}", s);
                case IGNORED_BY_PROCESS -> LOG.warn("SIG{} is ignored by this process (inherited from its parent, "
                        + "e.g. a background job of a non-interactive shell): it will not start the shutdown; "
                        + "start the process so that SIG{} is not ignored", s, s);
                case REFUSED -> LOG.warn("SIG{} is reserved by the JVM or OS (e.g. -Xrs): not handled; the JVM "
                        + "shutdown hook runs the sequence if the JVM exits", s);
                case UNAVAILABLE -> LOG.warn("SIG{} cannot be handled in this runtime", s);
                default -> throw new AssertionError(result);
            }
        }
    }

    /** Takes signals from the handler's queue and acts; the handler itself only enqueues. */
    private void dispatchSignals() {
        for (;;) {
            String s;
            try {
                s = signals.take();
            } catch (InterruptedException e) {
                return;
            }
            if (s.equals("HUP")) {
                runReloadHooks();
                continue;
            }
            int n = stopSignals.incrementAndGet();
            if (n == 1) {
                LOG.info("SIG{} received: starting the shutdown sequence", s);
                trigger(new CancelReason.Signal(s), "SIGNAL");
            } else if (n == 2) {
                LOG.warn("SIG{} received again: skipping the rest of the grace period, cancelling now", s);
                escalate();
            } else {
                String dump = ThreadDump.capture("SIG" + s + " received a third time");
                System.err.println(dump);
                LOG.error("SIG{} received a third time: halting with exit code {}", s, ShutdownReport.HALTED_EXIT_CODE);
                Runtime.getRuntime().halt(ShutdownReport.HALTED_EXIT_CODE);
            }
        }
    }

    private void runReloadHooks() {
        int n = reloads.incrementAndGet();
        LOG.info("SIGHUP received: running {} reload hooks (reload #{})", reloadHooks.size(), n);
        for (Registered<Hook> h : reloadHooks) {
            HookRunner.Result r = HookRunner.run("quiesce-reload-" + h.name(), h.timeout(), () -> {
                h.hook().run();
                return null;
            });
            if (r.status() != HookRunner.Status.OK) {
                LOG.warn("reload hook {} {}", h.name(), r.status(), r.error());
            }
        }
    }

    private void onJvmShutdown() {
        jvmShuttingDown = true;
        if (state.get() == RUNNING && trigger(CancelReason.explicit(
                "JVM shutdown (System.exit, or a signal Quiesce does not handle)"), "JVM_SHUTDOWN")) {
            LOG.info("JVM is shutting down: running the shutdown sequence from the JVM shutdown hook");
        }
        try {
            // bounded: the watchdog halts the JVM at the platform budget anyway
            done.await(Timers.saturatedNanos(cfg.platformBudget), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until the sequence has ended and returns its report. With {@link ExitPolicy#EXIT} the process
     * exits right after the report is made, so this returns only briefly, if at all.
     */
    public ShutdownReport awaitTermination() throws InterruptedException {
        done.await();
        return report;
    }

    /** Like {@link #awaitTermination()}, bounded; empty if the sequence has not ended by then. */
    public Optional<ShutdownReport> awaitTermination(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return done.await(Timers.saturatedNanos(timeout), TimeUnit.NANOSECONDS) ? Optional.ofNullable(report)
                : Optional.empty();
    }

    // ------------------------------------------------------------------ the sequence

    private void coordinate() {
        try {
            // The engine calls the ABANDON phase makes, rehearsed on an empty scope of this thread, now rather
            // than after the trigger (measured: 3-5 ms of first-use class loading and linking in that phase).
            try (var rehearsal = (ScopeImpl<?, ?>) ScopeImpl.open(Joiner.awaitAll(), dev.quiesce.ScopeConfig.defaults()
                    .withName(cfg.name + "-warm-up"))) {
                rehearsal.collectStragglers();
            }
            @SuppressWarnings("unchecked")
            var r = (ScopeImpl<Object, Void>) ScopeImpl.open(new ServiceJoiner(), dev.quiesce.ScopeConfig.defaults()
                    .withName(cfg.name).withCloseTimeout(cfg.cancelGrace));
            root = r;
        } finally {
            rootOpened.countDown();
        }
        lock.lock();
        try {
            while (state.get() == RUNNING) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        try {
            runSequence();
        } catch (Throwable t) {
            LOG.error("the shutdown sequence failed unexpectedly; exiting with exit code {}",
                    ShutdownReport.Outcome.FORCED.exitCode(), t);
            finish(null, ShutdownReport.Outcome.FORCED.exitCode());
        }
    }

    private final class Recorder {
        final List<ShutdownReport.PhaseTiming> phases = new ArrayList<>();
        final List<ShutdownReport.HookOutcome> hooks = new ArrayList<>();
        private Phase current;
        private long start;
        private PhaseEvent event;

        void start(Phase p) {
            current = p;
            lock.lock(); // see register(): a hook registered from now on for this phase is refused
            try {
                phase = p;
            } finally {
                lock.unlock();
            }
            start = System.nanoTime();
            event = PhaseEvent.start();
            LOG.info("shutdown phase {} started", p);
            for (PhaseListener l : cfg.listeners) {
                try {
                    l.started(p);
                } catch (RuntimeException e) {
                    LOG.warn("phase listener threw", e);
                }
            }
        }

        void end(String note) {
            long now = System.nanoTime();
            var timing = new ShutdownReport.PhaseTiming(current, Duration.ofNanos(start - triggerNanos),
                    Duration.ofNanos(now - start), note);
            phases.add(timing);
            event.finish(current.name(), note);
            LOG.info("shutdown phase {} ended after {} ms: {}", current, timing.duration().toMillis(), note);
            for (PhaseListener l : cfg.listeners) {
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

        ShutdownReport.HookStatus hook(Phase p, String name, Duration timeout, java.util.concurrent.Callable<?> body) {
            if (timeout.isZero() || timeout.isNegative()) {
                hooks.add(new ShutdownReport.HookOutcome(p, name, ShutdownReport.HookStatus.SKIPPED, Duration.ZERO,
                        Optional.of("no budget left")));
                LOG.warn("shutdown {} hook {} skipped: no budget left", p, name);
                return ShutdownReport.HookStatus.SKIPPED;
            }
            HookRunner.Result r = HookRunner.run("quiesce-" + p.name().toLowerCase(Locale.ROOT) + "-" + name, timeout,
                    body);
            ShutdownReport.HookStatus status = switch (r.status()) {
                case OK -> ShutdownReport.HookStatus.OK;
                case FAILED -> ShutdownReport.HookStatus.FAILED;
                case TIMED_OUT -> ShutdownReport.HookStatus.TIMED_OUT;
            };
            Optional<String> error = switch (status) {
                case FAILED -> Optional.of(String.valueOf(r.error()));
                case TIMED_OUT -> Optional.of("did not return within " + ms(timeout) + "; interrupted and abandoned");
                default -> Optional.empty();
            };
            hooks.add(new ShutdownReport.HookOutcome(p, name, status, r.duration(), error));
            if (status == ShutdownReport.HookStatus.OK) {
                LOG.info("shutdown {} hook {}: OK in {} ms", p, name, r.duration().toMillis());
            } else {
                LOG.warn("shutdown {} hook {}: {} ({})", p, name, status, error.orElse(""), r.error());
            }
            return status;
        }
    }

    private void runSequence() {
        var rec = new Recorder();
        ScopeImpl<Object, Void> r = root;
        CancelReason why = reason;
        Instant startedAt = Instant.now().minusNanos(System.nanoTime() - triggerNanos);

        rec.start(Phase.TRIGGER);
        rec.end(why.describe() + " (" + triggerKind + "), " + inFlightAtTrigger + " in flight");

        rec.start(Phase.READINESS);
        boolean wasReady = becameReady; // final now: markReady() after the trigger is ignored
        readiness.advanceTo(Readiness.State.DRAINING);
        String preDrain;
        if (cfg.preDrainDelay.isZero()) {
            preDrain = "no pre-drain delay";
        } else if (!wasReady) {
            preDrain = "no pre-drain delay: the service never became ready, so no load balancer sends it traffic";
        } else {
            preDrain = switch (waitUnlessEscalated(cfg.preDrainDelay)) {
                case WAITED -> "pre-drain delay " + ms(cfg.preDrainDelay);
                case ESCALATED -> "pre-drain delay cut short by escalation";
                case INTERRUPTED -> "pre-drain delay interrupted (the shutdown's thread was interrupted)";
            };
        }
        rec.end("readiness DRAINING, " + preDrain);

        rec.start(Phase.STOP_ACCEPTING);
        int listenerFailures = 0;
        List<Registered<Hook>> listeners = List.copyOf(stopListeners);
        var listenerShares = new Shares(listeners, cfg.stopAcceptingBudget);
        for (int i = 0; i < listeners.size(); i++) {
            Registered<Hook> l = listeners.get(i);
            if (rec.hook(Phase.STOP_ACCEPTING, l.name(), listenerShares.budget(i),
                    new HookCall(Phase.STOP_ACCEPTING, l.hook(), Duration.ZERO)) != ShutdownReport.HookStatus.OK) {
                listenerFailures++;
            }
        }
        rec.end(listeners.size() + " listeners stopped accepting" + (listenerFailures > 0
                ? ", " + listenerFailures + " failed" : ""));

        rec.start(Phase.DRAIN);
        r.requestStop();
        stopRequested.countDown();
        long graceDeadline = Timers.deadlineNanos(cfg.gracePeriod);
        cancelAtNanos = graceDeadline;
        boolean idle = awaitIdle(graceDeadline);
        boolean servicesDone = r.awaitNoRunning(graceDeadline, escalatedCheck);
        long inFlightAtCancel = inFlight.inFlight();
        long drained = inFlight.completed() - completedAtTrigger;
        rec.end(idle && servicesDone ? "drained: " + drained + " requests completed, services returned"
                : (escalated ? "cut short by escalation" : "grace period expired") + ": " + inFlightAtCancel
                        + " requests in flight, " + r.runningCount() + " services running");

        rec.start(Phase.CANCEL);
        cancelAtNanos = System.nanoTime();
        int tasksCancelled = r.totalRunning();
        r.cancel(why);
        long cancelDeadline = Timers.deadlineNanos(cfg.cancelGrace);
        boolean allStopped = r.awaitNoRunning(cancelDeadline, NEVER) && r.totalRunning() == 0;
        rec.end(tasksCancelled == 0 ? "nothing left to cancel"
                : "interrupted " + tasksCancelled + " tasks" + (allStopped ? ", all stopped" : ", some did not stop"));

        rec.start(Phase.ABANDON);
        List<Straggler> stragglers = r.collectStragglers();
        r.close(); // returns at once: the close timeout (the cancel grace) counts from the cancellation
        readiness.advanceTo(Readiness.State.STOPPED);
        rec.end(stragglers.isEmpty() ? "no stragglers" : stragglers.size() + " stragglers abandoned");

        rec.start(Phase.PERSIST);
        int hookFailures = listenerFailures;
        List<Registered<PersistHook>> states = List.copyOf(persistHooks);
        int skipped = 0;
        List<Registered<PersistHook>> toRun = new ArrayList<>();
        for (Registered<PersistHook> h : states) {
            if (!wasReady && h.whenNeverReady() == WhenNeverReady.SKIP) {
                rec.skip(Phase.PERSIST, h.name(), "the service never became ready: the state a previous run left "
                        + "is kept (register with WhenNeverReady.RUN to persist anyway)");
                skipped++;
            } else {
                toRun.add(h);
            }
        }
        var persistShares = new Shares(toRun, cfg.persistBudget);
        for (int i = 0; i < toRun.size(); i++) {
            Registered<PersistHook> h = toRun.get(i);
            Duration budget = persistShares.budget(i);
            if (rec.hook(Phase.PERSIST, h.name(), budget, new HookCall(Phase.PERSIST, h.hook(), budget))
                    != ShutdownReport.HookStatus.OK) {
                hookFailures++;
            }
        }
        rec.end(states.size() + " state hooks, " + (toRun.size() - countFailed(rec, Phase.PERSIST) + skipped) + " ok"
                + (skipped > 0 ? ", " + skipped + " skipped: the service never became ready" : ""));

        rec.start(Phase.CLEANUP);
        List<Registered<AutoCloseable>> reversed = new ArrayList<>(cleanups);
        java.util.Collections.reverse(reversed);
        var cleanupShares = new Shares(reversed, cfg.cleanupBudget);
        for (int i = 0; i < reversed.size(); i++) {
            Registered<AutoCloseable> c = reversed.get(i);
            Duration budget = cleanupShares.budget(i);
            if (rec.hook(Phase.CLEANUP, c.name(), budget, new HookCall(Phase.CLEANUP, c.hook(), budget))
                    != ShutdownReport.HookStatus.OK) {
                hookFailures++;
            }
        }
        rec.end(reversed.size() + " resources, closed in reverse order, "
                + (reversed.size() - countFailed(rec, Phase.CLEANUP)) + " ok");

        rec.start(Phase.REPORT);
        ShutdownReport.Outcome outcome;
        if (why instanceof CancelReason.SubtaskFailed || "STARTER_FAILED".equals(triggerKind)) {
            outcome = ShutdownReport.Outcome.SERVICE_FAILED;
        } else if (tasksCancelled > 0 || inFlightAtCancel > 0 || !stragglers.isEmpty()) {
            outcome = ShutdownReport.Outcome.FORCED;
        } else if (hookFailures > 0) {
            outcome = ShutdownReport.Outcome.HOOKS_FAILED;
        } else {
            outcome = ShutdownReport.Outcome.CLEAN;
        }
        rec.end("outcome " + outcome);
        // The exit code the report states is the process's: ours if this sequence calls System.exit, the JVM's
        // if the JVM was already exiting (then System.exit would block and the JVM's status stands)
        boolean jvmExiting = jvmShuttingDown || (cfg.exitPolicy == ExitPolicy.EXIT && !removeJvmHook());
        var rep = new ShutdownReport(why.describe(), triggerKind, startedAt,
                Duration.ofNanos(System.nanoTime() - triggerNanos), rec.phases, inFlightAtTrigger, drained,
                inFlightAtCancel, tasksCancelled, escalated, stragglers, rec.hooks, outcome,
                jvmExiting ? ShutdownReport.EXIT_CODE_OF_THE_JVM
                        : exitCodeOverride != null ? exitCodeOverride : outcome.exitCode());
        if (outcome == ShutdownReport.Outcome.CLEAN) {
            if (LOG.isInfoEnabled()) {
                LOG.info("{}", rep.toText());
            }
        } else {
            LOG.warn("{}", rep.toText());
        }
        for (PhaseListener l : cfg.listeners) {
            try {
                l.reported(rep);
                l.started(Phase.EXIT);
            } catch (RuntimeException e) {
                LOG.warn("phase listener threw", e);
            }
        }
        if (coordinatorInterrupted) {
            Thread.currentThread().interrupt(); // kept clear during the sequence; see waitUnlessEscalated
        }
        finish(rep, rep.exitCode());
    }

    private void finish(ShutdownReport rep, int exitCode) {
        stopRequested.countDown(); // if the sequence failed before the drain
        phase = Phase.EXIT;
        report = rep;
        state.set(DONE);
        unwatchStarter();
        SIGNAL_OWNER.compareAndSet(this, null);
        done.countDown();
        if (cfg.exitPolicy == ExitPolicy.EXIT && !jvmShuttingDown && exitCode != ShutdownReport.EXIT_CODE_OF_THE_JVM) {
            LOG.info("exiting with code {}", exitCode);
            removeJvmHook();
            System.exit(exitCode);
        }
    }

    /**
     * Removes the fallback JVM shutdown hook: once the sequence has run it has nothing left to do, and
     * removing it spares System.exit a thread start and join (every other shutdown hook still runs).
     *
     * @return {@code false} if the JVM is already exiting (then the hook runs and returns at once)
     */
    private boolean removeJvmHook() {
        Thread hook = jvmHook;
        if (hook == null) {
            return !jvmShuttingDown;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
            jvmHook = null;
            return true;
        } catch (IllegalStateException alreadyExiting) {
            return false;
        }
    }

    private static int countFailed(Recorder rec, Phase p) {
        int n = 0;
        for (ShutdownReport.HookOutcome h : rec.hooks) {
            if (h.phase() == p && h.status() != ShutdownReport.HookStatus.OK) {
                n++;
            }
        }
        return n;
    }

    /**
     * A registered hook as {@link HookRunner} runs it: a class rather than a lambda per call site, so that
     * nothing is linked after the trigger. {@code kind} says which interface {@code hook} is used as.
     */
    private static final class HookCall implements java.util.concurrent.Callable<Object> {
        private final Phase kind;
        private final Object hook;
        private final Duration budget;

        HookCall(Phase kind, Object hook, Duration budget) {
            this.kind = kind;
            this.hook = hook;
            this.budget = budget;
        }

        @Override
        public Object call() throws Exception {
            switch (kind) {
                case PERSIST -> ((PersistHook) hook).persist(budget);
                case CLEANUP -> ((AutoCloseable) hook).close();
                default -> ((Hook) hook).run();
            }
            return null;
        }
    }

    private enum Wait { WAITED, ESCALATED, INTERRUPTED }

    /**
     * Waits {@code d} unless escalated. An interrupt of the coordinator ends the wait and is reported as
     * such; the flag is kept clear for the rest of the sequence (whose every later wait would otherwise end
     * at once) and restored before the exit.
     */
    private Wait waitUnlessEscalated(Duration d) {
        long deadline = Timers.deadlineNanos(d);
        lock.lock();
        try {
            while (!escalated) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Wait.WAITED;
                }
                try {
                    changed.awaitNanos(left);
                } catch (InterruptedException e) {
                    coordinatorInterrupted = true;
                    return Wait.INTERRUPTED;
                }
            }
            return Wait.ESCALATED;
        } finally {
            lock.unlock();
        }
    }

    /** The budgets of one phase's hooks: the rule documented on {@link #onCleanup(String, AutoCloseable)}. */
    private final class Shares {
        private final List<? extends Registered<?>> hooks;
        private final long deadline;
        private final long share;

        Shares(List<? extends Registered<?>> hooks, Duration phaseBudget) {
            this.hooks = hooks;
            long total = Math.min(Timers.saturatedNanos(phaseBudget), Timers.saturatedNanos(remaining()));
            this.deadline = Timers.deadlineNanos(Duration.ofNanos(Math.max(0, total)));
            this.share = hooks.isEmpty() ? 0 : Math.max(0, total) / hooks.size();
        }

        /** The budget of hook {@code i}, to be asked right before it runs. */
        Duration budget(int i) {
            long left = Math.min(deadline - System.nanoTime(), Timers.saturatedNanos(remaining()));
            if (left <= 0) {
                return Duration.ZERO;
            }
            Duration own = hooks.get(i).timeout();
            if (own != null) {
                return Duration.ofNanos(Math.min(Timers.saturatedNanos(own), left));
            }
            long reserved = 0; // the guaranteed shares of the hooks still to run after this one
            for (int j = i + 1; j < hooks.size(); j++) {
                Duration t = hooks.get(j).timeout();
                reserved = Timers.saturatedAdd(reserved, t == null ? share : Math.min(share, Timers.saturatedNanos(t)));
            }
            return Duration.ofNanos(Math.max(0, left - reserved));
        }
    }

    private boolean awaitIdle(long deadlineNanos) {
        try {
            return inFlight.awaitIdleNanos(deadlineNanos, escalatedCheck);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return inFlight.inFlight() == 0;
        }
    }

    private static Duration untilNanos(long deadline) {
        long left = deadline - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The root scope's joiner: a supervisor whose failed services start the shutdown. */
    private final class ServiceJoiner implements Joiner<Object, Void> {
        @Override
        public boolean onComplete(Subtask<?> subtask) {
            if (subtask.state() == Subtask.State.FAILED && state.get() == RUNNING) {
                LOG.error("service failed; starting the shutdown", subtask.exception());
                trigger(new CancelReason.SubtaskFailed(subtask.scope().path(), String.valueOf(subtask),
                        subtask.exception()), "SERVICE_FAILED");
            }
            return false;
        }

        @Override
        public Void result() {
            return null;
        }
    }

    // ------------------------------------------------------------------ configuration

    private static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d + " (" + ms(d) + ")"
                    + "; e.g. Duration.ofSeconds(2)");
        }
    }

    private static void requireNonNegative(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + d + " (" + ms(d)
                    + "); use Duration.ZERO for none");
        }
    }

    private record Config(
            String name,
            Duration platformBudget,
            Duration margin,
            Duration preDrainDelay,
            Duration stopAcceptingBudget,
            Duration gracePeriod,
            Duration cancelGrace,
            Duration persistBudget,
            Duration cleanupBudget,
            Duration reloadTimeout,
            Duration sequenceBudget,
            List<String> signals,
            ExitPolicy exitPolicy,
            List<PhaseListener> listeners) {

        @Override
        public String toString() {
            return "platform budget " + ms(platformBudget) + " - margin " + ms(margin) + " = " + ms(sequenceBudget)
                    + " for: pre-drain " + ms(preDrainDelay) + ", stop accepting " + ms(stopAcceptingBudget)
                    + ", grace " + ms(gracePeriod) + ", cancel grace " + ms(cancelGrace) + ", persist "
                    + ms(persistBudget) + ", cleanup " + ms(cleanupBudget) + "; signals " + signals
                    + ", exit policy " + exitPolicy;
        }
    }

    /** {@code d} for a message, safe for any duration (see {@link Timers#describeMillis}). */
    private static String ms(Duration d) {
        return Timers.describeMillis(d);
    }

    /**
     * Configures and starts a {@link Shutdown}. Durations are validated when {@link #start()} is called;
     * a configuration whose phases do not fit the platform budget is refused with a message naming the
     * phase to shorten. Not thread-safe; use it from one thread.
     */
    public static final class Builder {
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
        private ExitPolicy exitPolicy = ExitPolicy.EXIT;
        private final List<PhaseListener> listeners = new ArrayList<>();

        private enum Sig { TERM, INT, HUP }

        private Builder() {}

        /** The root scope's name (its path is {@code /name}); default {@code shutdown}. */
        public Builder name(String name) {
            requireName(name);
            this.name = name;
            return this;
        }

        /**
         * The time the platform gives between SIGTERM and SIGKILL: Kubernetes'
         * {@code terminationGracePeriodSeconds} (default 30 s).
         */
        public Builder platformBudget(Duration d) {
            this.platformBudget = d;
            return this;
        }

        /** Safety margin kept free of the platform budget (default 2 s). */
        public Builder margin(Duration d) {
            this.margin = d;
            return this;
        }

        /**
         * How long readiness reports {@code DRAINING} before the listeners stop accepting, so that load
         * balancers and endpoint controllers stop sending traffic (default 0; a few seconds behind a load
         * balancer: at least its health-check interval times its fall count).
         */
        public Builder preDrainDelay(Duration d) {
            this.preDrainDelay = d;
            return this;
        }

        /**
         * The budget of the stop-accepting phase, shared by the listeners as {@link Shutdown#onStopAccepting}
         * says (default 1 s).
         */
        public Builder stopAcceptingBudget(Duration d) {
            this.stopAcceptingBudget = d;
            return this;
        }

        /** How long in-flight work and services may take to finish after the soft stop (default 15 s). */
        public Builder gracePeriod(Duration d) {
            this.gracePeriod = d;
            return this;
        }

        /** How long interrupted tasks may take to end before they are abandoned (default 2 s). */
        public Builder cancelGrace(Duration d) {
            this.cancelGrace = d;
            return this;
        }

        /** The budget of the whole persist phase, shared by the state hooks as {@link Shutdown#onPersist} says (default 4 s). */
        public Builder persistBudget(Duration d) {
            this.persistBudget = d;
            return this;
        }

        /** The budget of the whole cleanup phase, shared by the resources as {@link Shutdown#onCleanup} says (default 4 s). */
        public Builder cleanupBudget(Duration d) {
            this.cleanupBudget = d;
            return this;
        }

        /** The timeout of each reload hook (default 10 s). */
        public Builder reloadTimeout(Duration d) {
            this.reloadTimeout = d;
            return this;
        }

        /**
         * The signals to handle, by name without {@code SIG}: any of {@code TERM}, {@code INT}, {@code HUP}
         * (default all three). None: only the JVM shutdown hook, programmatic triggers and failed services
         * start the sequence.
         */
        public Builder signals(String... names) {
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
            return this;
        }

        /** What happens when the sequence ends (default {@link ExitPolicy#EXIT}). */
        public Builder exitPolicy(ExitPolicy policy) {
            this.exitPolicy = Objects.requireNonNull(policy, "exit policy");
            return this;
        }

        /** Adds a listener told about every phase (e.g. to print progress or export metrics). */
        public Builder onPhase(PhaseListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

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
            return new Shutdown(validate()).begin();
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

        Config validate() {
            requirePositive(platformBudget, "platform budget (terminationGracePeriodSeconds)");
            requireNonNegative(margin, "margin");
            requireNonNegative(preDrainDelay, "pre-drain delay");
            requirePositive(stopAcceptingBudget, "stop-accepting budget");
            requirePositive(gracePeriod, "grace period");
            requirePositive(cancelGrace, "cancel grace");
            requirePositive(persistBudget, "persist budget");
            requirePositive(cleanupBudget, "cleanup budget");
            requirePositive(reloadTimeout, "reload timeout");
            if (margin.compareTo(platformBudget) >= 0) {
                throw new IllegalArgumentException("margin " + ms(margin) + " must be smaller than the platform budget "
                        + ms(platformBudget) + ": lower the margin or raise terminationGracePeriodSeconds");
            }
            Duration available = platformBudget.minus(margin);
            Duration[] phases = {preDrainDelay, stopAcceptingBudget, gracePeriod, cancelGrace, persistBudget,
                    cleanupBudget};
            String[] names = {"preDrainDelay", "stopAcceptingBudget", "gracePeriod", "cancelGrace", "persistBudget",
                    "cleanupBudget"};
            Duration sum = Duration.ZERO;
            int longest = 0;
            for (int i = 0; i < phases.length; i++) {
                sum = Timers.saturatedPlus(sum, phases[i]); // saturated: any Duration is a valid argument
                if (phases[i].compareTo(phases[longest]) > 0) {
                    longest = i;
                }
            }
            if (sum.compareTo(available) > 0) {
                Duration over = sum.minus(available);
                throw new IllegalArgumentException("the shutdown phases need " + ms(sum) + " (preDrainDelay "
                        + ms(preDrainDelay) + " + stopAcceptingBudget " + ms(stopAcceptingBudget) + " + gracePeriod "
                        + ms(gracePeriod) + " + cancelGrace " + ms(cancelGrace) + " + persistBudget "
                        + ms(persistBudget) + " + cleanupBudget " + ms(cleanupBudget) + ") but the platform budget "
                        + ms(platformBudget) + " minus the margin " + ms(margin) + " leaves " + ms(available)
                        + ": shorten " + names[longest] + " (" + ms(phases[longest]) + ", the longest phase) by at least "
                        + ms(over) + ", or raise the platform budget (terminationGracePeriodSeconds)");
            }
            return new Config(name, platformBudget, margin, preDrainDelay, stopAcceptingBudget, gracePeriod,
                    cancelGrace, persistBudget, cleanupBudget, reloadTimeout, available, List.copyOf(signals),
                    exitPolicy, List.copyOf(listeners));
        }
    }
}
