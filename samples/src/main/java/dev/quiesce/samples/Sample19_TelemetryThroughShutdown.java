package dev.quiesce.samples;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.opentelemetry.QuiesceOpenTelemetry;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.MDC;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * Sample 19: a request's logs and trace across its forks, through a shutdown, to the exporter.
 *
 * <p>A request is in flight when the shutdown starts. Its handler puts {@code request=r-1} in the MDC and opens a
 * span, then forks two lookups into a scope that carries the OpenTelemetry {@code Context}
 * ({@link QuiesceOpenTelemetry#contextPropagator()}; the MDC is carried by default): each lookup logs with the
 * request's MDC and starts its span as a child of the request's. A virtual thread started on the side, outside the
 * scope, sees neither. The drain waits for the request to finish.
 *
 * <p>The spans are batched with an hour's schedule delay, as a busy service's exporter might hold them: without a
 * flush at the end they would be lost. The shutdown holds back a telemetry-flush slice
 * ({@code telemetryFlush(2 s)}); {@link QuiesceOpenTelemetry#install} flushes and closes the SDK in it, after the
 * report, so both traces are exported there: the request's three spans and the shutdown's (one per phase under
 * one shutdown span). The exporter prints each span and the phase it was exported in.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample19_TelemetryThroughShutdown
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * handler: request=r-1, span GET /orders/7 started
 * lookup order: request=r-1, in the request's trace: true, parent is the request's span: true
 * lookup customer: request=r-1, in the request's trace: true, parent is the request's span: true
 * unrelated virtual thread: request=null, a span: false
 * shutdown started with the request in flight
 * handler: request=r-1, answered
 * exported in TELEMETRY_FLUSH: lookup customer (request trace)
 * exported in TELEMETRY_FLUSH: lookup order (request trace)
 * exported in TELEMETRY_FLUSH: GET /orders/7 (request trace, root)
 * exported in TELEMETRY_FLUSH: quiesce.shutdown.trigger (shutdown trace)
 * ...                                                            (a span per phase, to quiesce.shutdown.report)
 * exported in TELEMETRY_FLUSH: quiesce.shutdown (shutdown trace, root)
 * exporter closed in TELEMETRY_FLUSH: 3 request spans and 10 shutdown spans exported, none before the flush
 * requests: 1 in flight at the trigger, 1 drained; outcome CLEAN, exit code 0; telemetry flush: [opentelemetry OK]
 * </pre>
 */
public final class Sample19_TelemetryThroughShutdown {
    private Sample19_TelemetryThroughShutdown() {}

    public static void main(String[] args) throws Exception {
        // before anything logs: the demo jar's slf4j-simple keeps no MDC at all; Logging keeps it as logback does
        System.setProperty("slf4j.provider", Logging.class.getName());
        var exporter = new PrintingExporter();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofHours(1)).build())
                .build()).build();
        // The default budgets (30 s, 2 s margin, 26 s of phases) leave 2 s for the flush. signals(): started below by
        // initiate(..); a service keeps the signals.
        Shutdown shutdown = Shutdown.builder().name("sample19").signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .telemetryFlush(Duration.ofSeconds(2)) // held back from the drain: the flush's own time
                .onPhase(QuiesceOpenTelemetry.create(sdk))
                .start();
        exporter.shutdown = shutdown;
        QuiesceOpenTelemetry.install(shutdown, sdk);
        Tracer tracer = sdk.getTracer("sample19");

        var lookedUp = new CountDownLatch(1);
        shutdown.fork("request-r-1", () -> handle(shutdown.inFlight(), tracer, exporter, lookedUp));
        shutdown.markReady();
        lookedUp.await();

        Thread unrelated = Thread.ofVirtual().start(() -> say("unrelated virtual thread: request="
                + MDC.get("request") + ", a span: " + Span.current().getSpanContext().isValid()));
        unrelated.join();

        say("shutdown started with the request in flight");
        shutdown.initiate("rolling update");
        ShutdownReport report = shutdown.awaitTermination();
        say("requests: " + report.requestsInFlightAtTrigger() + " in flight at the trigger, "
                + report.requestsDrained() + " drained; outcome " + report.outcome() + ", exit code "
                + report.exitCode() + "; telemetry flush: " + report.hooks().stream()
                        .filter(h -> h.phase() == Phase.TELEMETRY_FLUSH).map(h -> h.name() + " " + h.status()).toList());
        System.exit(report.exitCode());
    }

    /** The request: counted in flight, logged with its MDC, traced, and forking two lookups. */
    @SuppressWarnings("try") // the ticket, the MDC entry and the current span are held for the block
    private static void handle(InFlightTracker inFlight, Tracer tracer, PrintingExporter exporter,
            CountDownLatch lookedUp) throws Exception {
        try (var ticket = inFlight.enter(); var mdc = MDC.putCloseable("request", "r-1")) {
            Span request = tracer.spanBuilder("GET /orders/7").startSpan();
            SpanContext requestContext = request.getSpanContext();
            exporter.requestTrace = requestContext.getTraceId();
            try (var current = request.makeCurrent()) {
                say("handler: request=" + MDC.get("request") + ", span GET /orders/7 started");
                try (var lookups = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                        cfg -> cfg.withName("lookups").withPropagator(QuiesceOpenTelemetry.contextPropagator()))) {
                    lookups.fork(() -> lookup(tracer, "lookup order", requestContext));
                    lookups.fork(() -> lookup(tracer, "lookup customer", requestContext));
                    lookups.join();
                }
                lookedUp.countDown();
                while (!Scope.stopRequested()) { // the request finishes once the shutdown's drain asks it to
                    Thread.sleep(10);
                }
                say("handler: request=" + MDC.get("request") + ", answered");
            } finally {
                request.end();
            }
        }
    }

    /** A lookup: its span is started in this fork, whose current span is the request's, carried here. */
    private static String lookup(Tracer tracer, String name, SpanContext request) {
        Span span = tracer.spanBuilder(name).startSpan();
        try {
            say(name + ": request=" + MDC.get("request") + ", in the request's trace: "
                    + span.getSpanContext().getTraceId().equals(request.getTraceId())
                    + ", parent is the request's span: "
                    + ((ReadableSpan) span).getParentSpanContext().getSpanId().equals(request.getSpanId()));
            return name;
        } finally {
            span.end();
        }
    }

    /**
     * An exporter that prints each span it is given, with the shutdown phase it was given it in, and counts the
     * spans of the request's trace and of the shutdown's.
     */
    static final class PrintingExporter implements SpanExporter {
        volatile Shutdown shutdown;
        volatile String requestTrace = "";
        private final AtomicInteger requestSpans = new AtomicInteger();
        private final AtomicInteger shutdownSpans = new AtomicInteger();
        private final AtomicInteger beforeTheFlush = new AtomicInteger();

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            String phase = phase();
            for (SpanData s : spans) {
                boolean request = s.getTraceId().equals(requestTrace);
                (request ? requestSpans : shutdownSpans).incrementAndGet();
                if (!phase.equals(Phase.TELEMETRY_FLUSH.name())) {
                    beforeTheFlush.incrementAndGet();
                }
                say("exported in " + phase + ": " + s.getName() + " (" + (request ? "request" : "shutdown")
                        + " trace" + (s.getParentSpanId().equals(SpanId.getInvalid()) ? ", root" : "") + ")");
            }
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            say("exporter closed in " + phase() + ": " + requestSpans + " request spans and " + shutdownSpans
                    + " shutdown spans exported, " + (beforeTheFlush.get() == 0 ? "none" : beforeTheFlush.get())
                    + " before the flush");
            return CompletableResultCode.ofSuccess();
        }

        private String phase() {
            Shutdown s = shutdown;
            return s == null ? "none" : s.phase().map(Phase::name).orElse("none");
        }
    }

    /**
     * slf4j-simple's logging with an MDC kept in a plain {@code ThreadLocal}, as logback and log4j keep it (slf4j-simple
     * keeps none; slf4j's {@code BasicMDCAdapter} uses an inheritable one, which every new thread would copy). So
     * only what Quiesce's propagator carries reaches a fork. Chosen with the {@code slf4j.provider} property.
     */
    public static final class Logging extends SimpleServiceProvider {
        private final MDCAdapter mdc = new ThreadLocalMdc();

        /** Made by slf4j, named by the {@code slf4j.provider} property. */
        public Logging() {}

        @Override
        public MDCAdapter getMDCAdapter() {
            return mdc;
        }
    }

    /** An MDC in a {@code ThreadLocal}: a new thread starts without one, as logback's. */
    static final class ThreadLocalMdc extends BasicMDCAdapter {
        private final ThreadLocal<Map<String, String>> maps = ThreadLocal.withInitial(HashMap::new);

        @Override
        public void put(String key, String value) { maps.get().put(key, value); }

        @Override
        public String get(String key) { return maps.get().get(key); }

        @Override
        public void remove(String key) { maps.get().remove(key); }

        @Override
        public void clear() { maps.remove(); }

        @Override
        public Set<String> getKeys() { return Set.copyOf(maps.get().keySet()); }

        /** A copy, or {@code null} for an empty MDC (nothing for a fork to carry). */
        @Override
        public Map<String, String> getCopyOfContextMap() {
            Map<String, String> m = maps.get();
            return m.isEmpty() ? null : new HashMap<>(m);
        }

        @Override
        public void setContextMap(Map<String, String> contextMap) { maps.set(new HashMap<>(contextMap)); }
    }

    static void say(String line) {
        System.out.println(line);
    }
}
