package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

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
 * ({@link Phase#TELEMETRY_FLUSH}, with a {@linkplain Builder#telemetryFlush slice} for it: exporters flushed
 * and closed) → {@link Phase#EXIT}. Every phase is timed, logged, sent to {@linkplain Builder#onPhase listeners}, recorded
 * as a JFR event and kept in the {@link ShutdownReport}.
 *
 * <h2>Signals</h2>
 * SIGTERM and SIGINT start the sequence; a second one skips what is left of the pre-drain delay and the
 * grace period and cancels now; a third writes the JDK's JSON thread dump (every virtual thread, unmounted ones
 * too) and the scope tree as JSON, with matching thread ids, to two files in {@code -Dquiesce.dump.dir} (default
 * {@code java.io.tmpdir}) whose paths are logged and printed to standard error (after the text dump, as
 * before, which the container's log keeps), and halts. SIGHUP runs the reload hooks and the
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

    // package-private: the sequence, the signal handling and the start-up watch work on them (same package)
    final ShutdownConfig cfg;
    final Readiness readiness = new Readiness();
    private final InFlightTracker inFlight = new InFlightTracker();
    final Registry registry = new Registry(this);
    final Triggers triggers = new Triggers(this);
    final SignalHandling signals = new SignalHandling(this);
    final StarterWatch starterWatch = new StarterWatch(this);

    /** Orders registration with phase entry ({@link Registry}) and markReady with the trigger ({@link Triggers}). */
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    final CountDownLatch rootOpened = new CountDownLatch(1);
    final CountDownLatch done = new CountDownLatch(1);
    final CountDownLatch stopRequested = new CountDownLatch(1);
    /** Counted down at the end of the drain phase (or of a sequence that failed before it): see {@link #drain()}. */
    final CountDownLatch drainEnded = new CountDownLatch(1);
    volatile DrainResult drainResult;
    /** A trigger after {@link #drain()} started the sequence: the sequence goes on past the drain. */
    volatile boolean holdReleased;

    volatile EngineScope<Object, Void> root;
    volatile CancelReason reason;
    volatile String triggerKind;
    volatile boolean escalated;
    volatile boolean becameReady;
    volatile boolean coordinatorInterrupted;
    volatile boolean jvmShuttingDown;
    volatile Integer exitCodeOverride;
    volatile long triggerNanos;
    volatile long cancelAtNanos = Long.MAX_VALUE;
    volatile long inFlightAtTrigger;
    volatile long completedAtTrigger;
    volatile Phase phase; // written under the lock: see Registry
    volatile ShutdownReport report;
    volatile Thread jvmHook;

    /** Made when the shutdown is built, not after the trigger: see {@link Triggers}'s watchdog task. */
    final BooleanSupplier escalatedCheck = () -> escalated;

    private Shutdown(ShutdownConfig cfg) {
        this.cfg = cfg;
    }

    /** A builder with the defaults: 30 s platform budget, 2 s margin, 15 s grace, 2 s cancel grace. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@link Builder#start()}: a shutdown of {@code cfg}, started. */
    static Shutdown start(ShutdownConfig cfg) {
        Shutdown s = new Shutdown(cfg);
        s.triggers.arm();
        return s;
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
        return registry.fork(name, service);
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
        registry.register(registry.stopListeners, name, listener, null, WhenNeverReady.RUN, "stop-accepting", Phase.STOP_ACCEPTING);
    }

    /**
     * Registers a server with the shutdown (see {@link Ingress} for the contract): its
     * {@link Ingress#stopAccepting()} runs in {@link Phase#STOP_ACCEPTING} as a stop-accepting listener named
     * {@code ingress.describe().name()}, sharing that phase's budget with the other listeners;
     * {@link Ingress#goAway()} starts {@link Phase#DRAIN}, whose wait also covers {@link Ingress#inFlight()};
     * {@link Ingress#forceClose()} runs in {@link Phase#CANCEL} if the drain did not complete; and
     * {@link Ingress#describe()} is in the {@linkplain ShutdownReport#ingresses() report}.
     *
     * @throws IllegalStateException if the sequence has already reached {@link Phase#STOP_ACCEPTING}: the
     *     ingress would never stop accepting; stop the server yourself
     * @throws IllegalArgumentException if its name is blank, contains {@code '/'}, or is the name of an
     *     ingress already registered
     */
    public void ingress(Ingress ingress) {
        registry.ingress(ingress);
    }

    /**
     * The ingresses registered with {@link #ingress(Ingress)}, in registration order: a snapshot, for
     * monitoring (their {@link Ingress#inFlight()} counts, {@link Ingress#describe()}).
     */
    public List<Ingress> ingresses() {
        List<Ingress> out = new ArrayList<>();
        for (Registered<Ingress> r : registry.ingresses) {
            out.add(r.hook());
        }
        return List.copyOf(out);
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
        registry.register(registry.persistHooks, name, hook, null, WhenNeverReady.SKIP, "persist", Phase.PERSIST);
    }

    /**
     * Like {@link #onPersist(String, PersistHook)} with a timeout of its own (at most the persist budget): the
     * hook gets its timeout, or what is left of the phase if that is less, instead of a share.
     */
    public void onPersist(String name, PersistHook hook, Duration timeout) {
        registry.register(registry.persistHooks, name, hook, ShutdownConfig.checkTimeout(timeout, cfg.persistBudget(), "persist"), WhenNeverReady.SKIP,
                "persist", Phase.PERSIST);
    }

    /** Like {@link #onPersist(String, PersistHook)}, saying what the hook does if the service never became ready. */
    public void onPersist(String name, PersistHook hook, WhenNeverReady whenNeverReady) {
        Objects.requireNonNull(whenNeverReady, "whenNeverReady must not be null; use WhenNeverReady.SKIP or RUN");
        registry.register(registry.persistHooks, name, hook, null, whenNeverReady, "persist", Phase.PERSIST);
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
        registry.register(registry.cleanups, name, resource, null, WhenNeverReady.RUN, "cleanup", Phase.CLEANUP);
    }

    /** Like {@link #onCleanup(String, AutoCloseable)} with a timeout of its own (at most the cleanup budget). */
    public void onCleanup(String name, AutoCloseable resource, Duration timeout) {
        registry.register(registry.cleanups, name, resource, ShutdownConfig.checkTimeout(timeout, cfg.cleanupBudget(), "cleanup"), WhenNeverReady.RUN,
                "cleanup", Phase.CLEANUP);
    }

    /**
     * Registers a hook that flushes and closes telemetry (a span exporter, a meter registry) in
     * {@link Phase#TELEMETRY_FLUSH}: after the report is made and the {@linkplain PhaseListener listeners}
     * told, so that what they recorded of the shutdown is exported, and before the exit. The hooks run in
     * registration order and share the slice {@link Builder#telemetryFlush} holds back, as the cleanup
     * resources share theirs ({@link #onCleanup(String, AutoCloseable)}): one that never returns is interrupted
     * and abandoned at its share, and the next still runs. The slice is kept from the earlier phases, so the
     * flush gets it also when the drain ran over. A flush hook that fails or times out is in the report's
     * hooks but does not change its outcome or exit code (the outcome is what the flush exports).
     *
     * @throws IllegalStateException if this shutdown has no telemetry-flush slice (configure
     *     {@link Builder#telemetryFlush}), or the sequence has already reached {@link Phase#TELEMETRY_FLUSH}
     */
    public void onTelemetryFlush(String name, Hook hook) {
        registry.telemetryFlush(name, hook);
    }

    /** Registers a hook that SIGHUP runs (reload configuration, reopen logs); the service keeps serving. */
    public void onReload(String name, Hook hook) {
        registry.reload(name, hook);
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
        return triggers.markReady();
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
        return ShutdownTime.await(stopRequested, Timers.saturatedNanos(timeout));
    }

    /** Whether the sequence has started. */
    public boolean isShuttingDown() {
        return !triggers.isRunning();
    }

    /**
     * Time left of the sequence's budget (platform budget minus margin), or the whole budget before a trigger.
     * Until {@link Phase#TELEMETRY_FLUSH} starts, the {@linkplain Builder#telemetryFlush telemetry-flush
     * slice} is left out (it is not for the earlier phases); during the flush, what is left of the slice.
     */
    public Duration remaining() {
        return triggers.remaining();
    }

    /**
     * Time left before unfinished work is cancelled: until the end of the grace period once the drain
     * has started, the pre-drain delay plus the grace period before that once triggered, and empty while
     * the service runs normally. A request handler uses it to decide whether it can still finish.
     */
    public Optional<Duration> untilCancel() {
        return triggers.untilCancel();
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

    /**
     * Runs the reload hooks ({@link #onReload}) now, on the calling thread, one after the other, each within its
     * timeout, as SIGHUP does; a hook that fails or times out is logged and the others still run. The service
     * keeps serving. For an admin endpoint, and for tests that rehearse a SIGHUP without sending one.
     */
    public void reload() {
        signals.runReloadHooks();
    }

    /**
     * Runs the sequence as SIGTERM would, up to the end of {@link Phase#DRAIN}, and returns once the drain is
     * over (the in-flight work is done, or the grace period ran out) with the {@linkplain DrainResult report so
     * far}: for a Kubernetes preStop hook ({@code POST /quiesce/drain} on the
     * {@linkplain dev.quiesce.http.ManagementServer management listener}), which must not return before the
     * work is done.
     *
     * <p>The sequence then holds: the next trigger (the SIGTERM the kubelet sends once the preStop hook has
     * returned, {@link #initiate}, {@link #escalate()}, the JVM's shutdown) makes it go on at once with
     * {@link Phase#CANCEL}, persist, cleanup and the report; there is never a second drain. If no trigger
     * arrives, the hold ends on its own when what is left of the budget just covers the cancel grace, persist
     * and cleanup budgets, so the sequence always ends within the platform budget, which counts from this call
     * (as Kubernetes counts the grace period from the start of the preStop hook).
     *
     * <p>Idempotent: a second call (or a call after a SIGTERM started the sequence) starts nothing and
     * returns the same result once the drain is over, at once if it already is.
     *
     * @return the report at the end of the drain
     * @throws InterruptedException if interrupted while waiting (the sequence goes on regardless)
     * @throws IllegalStateException if the sequence failed before the end of its drain (the log says why)
     */
    public DrainResult drain() throws InterruptedException {
        triggers.requestDrain();
        drainEnded.await();
        DrainResult r = drainResult;
        if (r == null) {
            throw new IllegalStateException("the shutdown sequence ended before the end of its drain (it failed "
                    + "unexpectedly: see the log); report() has what there is");
        }
        return r;
    }

    /** The report at the end of the drain phase, once the sequence has passed it; see {@link #drain()}. */
    public Optional<DrainResult> drainResult() {
        return Optional.ofNullable(drainResult);
    }

    /** Cuts the pre-drain delay and grace period short, as a second SIGTERM does. */
    public void escalate() {
        triggers.escalate();
    }

    /** Starts the sequence unless it has started; whether this call started it. */
    boolean trigger(CancelReason why, String kind) {
        return triggers.trigger(why, kind);
    }

    // ------------------------------------------------------------------ lifecycle

    /** What is left of the sequence's budget, in nanoseconds. */
    long remainingNanos() {
        return Timers.saturatedNanos(remaining());
    }

    EngineScope<Object, Void> root() {
        EngineScope<Object, Void> r = root;
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
        return signals.status();
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
        return ShutdownTime.await(done, Timers.saturatedNanos(timeout)) ? Optional.ofNullable(report)
                : Optional.empty();
    }

    // ------------------------------------------------------------------ configuration

    /**
     * Configures and starts a {@link Shutdown}. Durations are validated when {@link #start()} is called;
     * a configuration whose phases do not fit the platform budget is refused with a message naming the
     * phase to shorten. Not thread-safe; use it from one thread.
     */
    public static final class Builder extends ShutdownBuilder {
        private Builder() {}
    }
}
