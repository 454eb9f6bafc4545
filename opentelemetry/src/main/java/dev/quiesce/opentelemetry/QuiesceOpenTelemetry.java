package dev.quiesce.opentelemetry;

import dev.quiesce.ContextPropagator;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * OpenTelemetry for a {@link Shutdown}:
 *
 * <ul>
 *   <li>{@link #create(OpenTelemetry)}: a {@link Shutdown.PhaseListener} that records the sequence as one span,
 *       {@value #SHUTDOWN_SPAN}, with a child span per phase ({@code quiesce.shutdown.drain}, ...) and an event per
 *       hook in its phase's span (name, status, duration, error);
 *   <li>{@link #contextPropagator()}: a {@link ContextPropagator} that carries the forking thread's OpenTelemetry
 *       {@link Context} to each subtask; {@link #subtaskSpans(OpenTelemetry)} also gives each subtask a span of its
 *       own (off by default);
 *   <li>{@link #install(Shutdown, OpenTelemetrySdk)}: the SDK's flush and close as a telemetry-flush hook, run in
 *       the slice {@link Shutdown.Builder#telemetryFlush} holds back, after the report and before the exit.
 * </ul>
 *
 * <pre>{@code
 * var shutdown = Shutdown.builder()
 *         .telemetryFlush(Duration.ofSeconds(2))
 *         .onPhase(QuiesceOpenTelemetry.create(sdk))
 *         .start();
 * QuiesceOpenTelemetry.install(shutdown, sdk);
 * }</pre>
 *
 * <table class="striped">
 *   <caption>Attributes</caption>
 *   <tr><th>on</th><th>attributes</th></tr>
 *   <tr><td>the shutdown span</td><td>{@code quiesce.shutdown.reason}, {@code .trigger}, {@code .outcome},
 *       {@code .exit_code}, {@code .tasks_cancelled}, {@code .stragglers}; status {@code ERROR} unless the outcome
 *       is {@code CLEAN}</td></tr>
 *   <tr><td>a phase's span</td><td>{@code quiesce.phase} ({@code DRAIN}, ...), {@code quiesce.phase.note} (the
 *       report's note); status {@code ERROR} if one of its hooks failed or timed out</td></tr>
 *   <tr><td>a hook's event {@value #HOOK_EVENT}</td><td>{@code quiesce.hook.name}, {@code .status},
 *       {@code .duration_ms}, {@code .error} (when not OK); its time is the hook's end (its phase's hooks
 *       run one after the other)</td></tr>
 * </table>
 *
 * <p>The spans are made when the report is: the listener starts and ends each of them then, with the start and
 * end times the report holds (so a span per phase needs no state between phases, and its times are the
 * sequence's own, virtual ones under a test clock). The telemetry-flush phase itself runs after the report, so it
 * is not among the spans: its outcome is in the report and the log.
 */
public final class QuiesceOpenTelemetry implements Shutdown.PhaseListener {

    /** The instrumentation scope name of the tracer: {@value}. */
    public static final String INSTRUMENTATION_NAME = "dev.quiesce";
    /** The name of the span of the whole sequence: {@value}; each phase's is this, a dot and the phase in lower case. */
    public static final String SHUTDOWN_SPAN = "quiesce.shutdown";

    private final Tracer tracer;

    private QuiesceOpenTelemetry(Tracer tracer) {
        this.tracer = tracer;
    }

    /** The shutdown's spans, made with {@code openTelemetry}'s tracer {@value #INSTRUMENTATION_NAME}. */
    public static QuiesceOpenTelemetry create(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry must not be null; e.g. GlobalOpenTelemetry.get()");
        return new QuiesceOpenTelemetry(openTelemetry.getTracer(INSTRUMENTATION_NAME));
    }

    /**
     * The propagator of OpenTelemetry's {@link Context}: it captures the forking thread's current context (nothing
     * when that is the root context), makes it current on the subtask's thread before the task runs and closes that
     * scope after it. Add it to a scope with {@code cfg.withPropagator(QuiesceOpenTelemetry.contextPropagator())};
     * the scopes opened inside inherit it.
     *
     * @return the propagator (one shared instance)
     */
    public static ContextPropagator contextPropagator() {
        return ContextCarrier.PROPAGATOR;
    }

    /** The name of a subtask's span, with {@link #subtaskSpans}: {@value}. */
    public static final String SUBTASK_SPAN = "quiesce.subtask";

    /**
     * Like {@link #contextPropagator()}, and also a span per subtask (off unless this propagator is configured):
     * {@value #SUBTASK_SPAN}, a child of the forking thread's current span (or a root span if it has none), with
     * the attributes {@code quiesce.scope} (the scope's path) and {@code thread.name}; it is current while the task
     * runs and ends after it. Use it instead of {@link #contextPropagator()}, in the scopes to trace:
     * {@code cfg.withPropagator(QuiesceOpenTelemetry.subtaskSpans(openTelemetry))}; the scopes opened inside
     * inherit it. Each call makes a new propagator: remove it with the same instance.
     *
     * @return a propagator whose spans are made with {@code openTelemetry}'s tracer {@value #INSTRUMENTATION_NAME}
     */
    public static ContextPropagator subtaskSpans(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry must not be null; e.g. GlobalOpenTelemetry.get()");
        return new ContextCarrier.Propagator(openTelemetry.getTracer(INSTRUMENTATION_NAME));
    }

    /** The name the SDK's flush hook is registered under: {@value}. */
    public static final String FLUSH_HOOK = "opentelemetry";

    /**
     * Registers {@code sdk}'s flush and close as the telemetry-flush hook {@value #FLUSH_HOOK} of {@code shutdown}:
     * in {@link Phase#TELEMETRY_FLUSH} it force-flushes the tracer, meter and logger providers (so the shutdown's
     * own spans and the last metrics are exported), then shuts the SDK down (which closes the exporters), within
     * the hook's share of the slice. A flush that does not succeed in time is reported {@code FAILED} or
     * {@code TIMED_OUT} in the shutdown's report. The SDK must not be closed elsewhere before the exit.
     *
     * @throws IllegalStateException if {@code shutdown} has no telemetry-flush slice (set one with
     *     {@link Shutdown.Builder#telemetryFlush}) or is already in that phase
     */
    public static void install(Shutdown shutdown, OpenTelemetrySdk sdk) {
        Objects.requireNonNull(shutdown, "shutdown must not be null");
        Objects.requireNonNull(sdk, "sdk must not be null");
        shutdown.onTelemetryFlush(FLUSH_HOOK, new SdkFlush(shutdown, sdk));
    }

    /** The name of a hook's event in its phase's span: {@value}. */
    public static final String HOOK_EVENT = "quiesce.hook";

    @Override
    public void reported(ShutdownReport report) {
        Instant start = report.startedAt();
        Span shutdown = tracer.spanBuilder(SHUTDOWN_SPAN).setSpanKind(SpanKind.INTERNAL).setNoParent()
                .setStartTimestamp(start).setAttribute("quiesce.shutdown.reason", report.reason())
                .setAttribute("quiesce.shutdown.trigger", report.trigger()).startSpan();
        Context parent = Context.root().with(shutdown);
        for (ShutdownReport.PhaseTiming t : report.phases()) {
            Instant phaseStart = start.plus(t.startOffset());
            Span span = tracer.spanBuilder(SHUTDOWN_SPAN + "." + t.phase().name().toLowerCase(Locale.ROOT))
                    .setParent(parent).setStartTimestamp(phaseStart).setAttribute("quiesce.phase", t.phase().name())
                    .setAttribute("quiesce.phase.note", t.note()).startSpan();
            Instant hookEnd = phaseStart;
            for (ShutdownReport.HookOutcome h : report.hooks()) {
                if (h.phase() == t.phase()) { // a phase's hooks run one after the other, in the report's order
                    hookEnd = hookEnd.plus(h.duration());
                    span.addEvent(HOOK_EVENT, hookAttributes(h), hookEnd);
                    if (h.status() == ShutdownReport.HookStatus.FAILED
                            || h.status() == ShutdownReport.HookStatus.TIMED_OUT) {
                        span.setStatus(StatusCode.ERROR, "hook " + h.name() + " " + h.status());
                    }
                }
            }
            span.end(phaseStart.plus(t.duration()));
        }
        shutdown.setAttribute("quiesce.shutdown.outcome", report.outcome().name())
                .setAttribute("quiesce.shutdown.exit_code", report.exitCode())
                .setAttribute("quiesce.shutdown.tasks_cancelled", report.tasksCancelled())
                .setAttribute("quiesce.shutdown.stragglers", report.stragglers().size());
        if (report.outcome() != ShutdownReport.Outcome.CLEAN) {
            shutdown.setStatus(StatusCode.ERROR, "outcome " + report.outcome());
        }
        shutdown.end(start.plus(report.total()));
    }

    private static Attributes hookAttributes(ShutdownReport.HookOutcome h) {
        var b = Attributes.builder().put("quiesce.hook.name", h.name()).put("quiesce.hook.status", h.status().name())
                .put("quiesce.hook.duration_ms", durationMillis(h.duration()));
        h.error().ifPresent(e -> b.put("quiesce.hook.error", e));
        return b.build();
    }

    private static long durationMillis(Duration d) {
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "QuiesceOpenTelemetry[" + tracer + "]";
    }
}
