package dev.quiesce.micrometer;

import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Micrometer metrics of a {@link Shutdown}, its ingresses and the scope tree. It is both a {@link MeterBinder}
 * and the shutdown's {@link Shutdown.PhaseListener}:
 *
 * <pre>{@code
 * var metrics = QuiesceMetrics.create();
 * var shutdown = Shutdown.builder().onPhase(metrics).start();
 * var http = DrainingHttpServer.builder(shutdown).bind("0.0.0.0", 8080).start();
 * metrics.monitor(shutdown).bindTo(registry);   // after the ingresses are registered
 * }</pre>
 *
 * <table class="striped">
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@value #PHASE}</td><td>timer</td><td>{@code phase}, {@code outcome}</td>
 *       <td>each phase's duration, recorded when the report is made; {@code outcome} is the report's
 *       ({@code clean}, {@code hooks_failed}, ...), in lower case like {@code phase}</td></tr>
 *   <tr><td>{@value #IN_FLIGHT}</td><td>gauge</td><td>{@code ingress}</td>
 *       <td>requests accepted and not yet answered, per ingress registered when {@link #bindTo} ran</td></tr>
 *   <tr><td>{@value #RUNNING}</td><td>gauge</td><td>{@code scope}</td>
 *       <td>running subtasks in the tree of each top-level (root) scope, e.g. {@code /shutdown}; the set of
 *       scopes is refreshed by {@link #refreshScopes()}, which each phase of the shutdown calls</td></tr>
 *   <tr><td>{@value #CANCELLED}</td><td>counter</td><td></td><td>subtasks the shutdown cancelled</td></tr>
 *   <tr><td>{@value #STRAGGLERS}</td><td>counter</td><td></td><td>threads abandoned as stragglers</td></tr>
 *   <tr><td>{@value #HOOK_FAILURES}, {@value #HOOK_TIMEOUTS}</td><td>counter</td><td></td>
 *       <td>hooks that threw, hooks that did not return within their timeout</td></tr>
 *   <tr><td>{@value #SINCE_TRIGGER}</td><td>time gauge</td><td></td>
 *       <td>time since the sequence started; {@code NaN} before it</td></tr>
 * </table>
 *
 * Every meter also carries the tags passed to {@link #create(Iterable)}. The counters and timers are recorded
 * from the report, on the shutdown's coordinator thread, before the exit; a registry that must export them
 * has to be flushed after that: {@link #closeInTelemetryFlush} closes it in the shutdown's reserved
 * telemetry-flush slice, which comes after the report.
 *
 * <p>Thread-safe: it may be bound to several registries, from any thread.
 */
public final class QuiesceMetrics implements MeterBinder, Shutdown.PhaseListener {

    /** Timer: a phase's duration. */
    public static final String PHASE = "quiesce.shutdown.phase";
    /** Gauge: requests in flight, per ingress. */
    public static final String IN_FLIGHT = "quiesce.ingress.in.flight";
    /** Gauge: running subtasks, per top-level scope. */
    public static final String RUNNING = "quiesce.scope.running";
    /** Counter: subtasks cancelled by the shutdown. */
    public static final String CANCELLED = "quiesce.shutdown.subtasks.cancelled";
    /** Counter: stragglers abandoned by the shutdown. */
    public static final String STRAGGLERS = "quiesce.shutdown.stragglers";
    /** Counter: hooks that failed. */
    public static final String HOOK_FAILURES = "quiesce.shutdown.hook.failures";
    /** Counter: hooks that timed out. */
    public static final String HOOK_TIMEOUTS = "quiesce.shutdown.hook.timeouts";
    /** Time gauge: time since the trigger. */
    public static final String SINCE_TRIGGER = "quiesce.shutdown.since.trigger";
    /** The name (before the registry's class) of the telemetry-flush hook of {@link #closeInTelemetryFlush}. */
    public static final String FLUSH_HOOK = "micrometer";

    private final Tags tags;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final List<MultiGauge> scopeGauges = new CopyOnWriteArrayList<>();
    private volatile Shutdown shutdown;
    private volatile long triggerNanos; // System.nanoTime() at the first phase; valid when triggered
    private volatile boolean triggered;

    private QuiesceMetrics(Tags tags) {
        this.tags = tags;
    }

    /** Metrics without extra tags. */
    public static QuiesceMetrics create() {
        return new QuiesceMetrics(Tags.empty());
    }

    /** Metrics whose every meter carries {@code tags} (e.g. {@code service=orders}). */
    public static QuiesceMetrics create(Iterable<Tag> tags) {
        Objects.requireNonNull(tags, "tags must not be null; use create() for none");
        return new QuiesceMetrics(Tags.of(tags));
    }

    /**
     * Watches {@code shutdown}'s ingresses (for {@value #IN_FLIGHT}); call it before {@link #bindTo}, once the
     * ingresses are registered. The phase metrics need this object registered with
     * {@link Shutdown.Builder#onPhase} as well.
     *
     * @return this
     */
    public QuiesceMetrics monitor(Shutdown shutdown) {
        this.shutdown = Objects.requireNonNull(shutdown, "shutdown must not be null");
        return this;
    }

    /**
     * Registers {@code registry}'s close as a telemetry-flush hook of {@code shutdown} (named {@value #FLUSH_HOOK}
     * and the registry's class): in {@link Phase#TELEMETRY_FLUSH}, after this binder has recorded the report's
     * timers and counters, the registry is closed within the hook's share of the reserved slice. Closing a push
     * registry (OTLP, Prometheus push gateway, ...) publishes what it holds first, so the shutdown's own metrics
     * are exported; any registry stops there. Do not close it elsewhere before the exit.
     *
     * @throws IllegalStateException if {@code shutdown} has no telemetry-flush slice (set one with
     *     {@link Shutdown.Builder#telemetryFlush}) or is already in that phase
     */
    public static void closeInTelemetryFlush(Shutdown shutdown, MeterRegistry registry) {
        Objects.requireNonNull(shutdown, "shutdown must not be null");
        Objects.requireNonNull(registry, "registry must not be null");
        shutdown.onTelemetryFlush(FLUSH_HOOK + "-" + registry.getClass().getSimpleName(), new RegistryClose(registry));
    }

    /** The telemetry-flush hook of {@link #closeInTelemetryFlush}: a class, so its name shows in the report's thread. */
    private static final class RegistryClose implements Shutdown.Hook {
        private final MeterRegistry registry;

        RegistryClose(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void run() {
            registry.close();
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        registries.add(registry);
        Shutdown s = shutdown;
        if (s != null) {
            for (Ingress ingress : s.ingresses()) {
                String name = ingress.describe().name();
                Gauge.builder(IN_FLIGHT, ingress, i -> i.inFlight().inFlight())
                        .description("requests accepted and not yet answered")
                        .tags(tags).tag("ingress", name).register(registry);
            }
        }
        TimeGauge.builder(SINCE_TRIGGER, this, TimeUnit.NANOSECONDS, QuiesceMetrics::nanosSinceTrigger)
                .description("time since the shutdown sequence started (NaN before)").tags(tags).register(registry);
        for (String name : new String[] {CANCELLED, STRAGGLERS, HOOK_FAILURES, HOOK_TIMEOUTS}) {
            counter(registry, name);
        }
        scopeGauges.add(MultiGauge.builder(RUNNING).description("running subtasks in the tree of a top-level scope")
                .tags(tags).register(registry));
        refreshScopes();
    }

    /**
     * Re-reads which top-level scopes exist, for {@value #RUNNING}: a row per root scope open now, and none for
     * the scopes closed since. Each gauge reading counts that scope tree's running subtasks then.
     */
    public void refreshScopes() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (ScopeSnapshot root : Scope.snapshotAll()) {
            String path = root.path();
            rows.add(MultiGauge.Row.of(Tags.of("scope", path), path, QuiesceMetrics::runningUnder));
        }
        for (MultiGauge g : scopeGauges) {
            g.register(rows, true);
        }
    }

    private static double runningUnder(String rootPath) {
        for (ScopeSnapshot root : Scope.snapshotAll()) {
            if (root.path().equals(rootPath)) {
                long n = 0;
                for (ScopeSnapshot s : root.flatten()) {
                    n += s.subtasks().size();
                }
                return n;
            }
        }
        return 0;
    }

    private double nanosSinceTrigger() {
        return triggered ? System.nanoTime() - triggerNanos : Double.NaN;
    }

    private Counter counter(MeterRegistry registry, String name) {
        return Counter.builder(name).tags(tags).register(registry);
    }

    @Override
    public void started(Phase phase) {
        if (!triggered) {
            triggerNanos = System.nanoTime();
            triggered = true;
        }
        refreshScopes();
    }

    @Override
    public void ended(ShutdownReport.PhaseTiming timing) {
        refreshScopes();
    }

    @Override
    public void reported(ShutdownReport report) {
        String outcome = report.outcome().name().toLowerCase(Locale.ROOT);
        int failures = 0;
        int timeouts = 0;
        for (ShutdownReport.HookOutcome h : report.hooks()) {
            if (h.status() == ShutdownReport.HookStatus.FAILED) {
                failures++;
            } else if (h.status() == ShutdownReport.HookStatus.TIMED_OUT) {
                timeouts++;
            }
        }
        for (MeterRegistry registry : registries) {
            for (ShutdownReport.PhaseTiming t : report.phases()) {
                Timer.builder(PHASE).description("duration of a shutdown phase").tags(tags)
                        .tag("phase", t.phase().name().toLowerCase(Locale.ROOT)).tag("outcome", outcome)
                        .register(registry).record(t.duration());
            }
            counter(registry, CANCELLED).increment(report.tasksCancelled());
            counter(registry, STRAGGLERS).increment(report.stragglers().size());
            counter(registry, HOOK_FAILURES).increment(failures);
            counter(registry, HOOK_TIMEOUTS).increment(timeouts);
        }
    }

    @Override
    public String toString() {
        return "QuiesceMetrics[" + registries.size() + " registries, tags " + tags + "]";
    }
}
