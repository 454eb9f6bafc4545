package dev.quiesce.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link QuiesceOpenTelemetry#contextPropagator()}: the OpenTelemetry Context follows every fork, and only forks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContextPropagatorTest {
    private static final ContextKey<String> TENANT = ContextKey.named("tenant");

    record Seen(int level, SpanContext span, String tenant) {
        static Seen now(int level) {
            return new Seen(level, Span.current().getSpanContext(), Context.current().get(TENANT));
        }
    }

    @Test
    void hundredSubtasksAcrossThreeLevels_seeTheParentsContext_anUnrelatedVirtualThreadSeesNone() throws Exception {
        var exporter = InMemorySpanExporter.create();
        Queue<Seen> seen = new ConcurrentLinkedQueue<>();
        AtomicReference<Seen> unrelated = new AtomicReference<>();
        SpanContext request;
        try (var tracerProvider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build()) {
            Span span = tracerProvider.get("test").spanBuilder("request").startSpan();
            request = span.getSpanContext();
            try (var _ = Context.current().with(span).with(TENANT, "acme").makeCurrent()) {
                // started while the context is current: a thread that is not a fork of a scope gets none of it
                Thread t = Thread.ofVirtual().start(() -> unrelated.set(Seen.now(0)));
                forkLevels(1, new int[] {4, 4, 5}, seen); // 4 + 4*4 + 16*5 = 100 subtasks
                t.join();
            } finally {
                span.end();
            }
        }

        assertThat(seen).hasSize(100);
        Map<Integer, Long> perLevel = seen.stream().collect(Collectors.groupingBy(Seen::level, Collectors.counting()));
        assertThat(perLevel).containsExactlyInAnyOrderEntriesOf(Map.of(1, 4L, 2, 16L, 3, 80L));
        assertThat(seen).allSatisfy(s -> assertThat(s).as("level %d", s.level())
                .isEqualTo(new Seen(s.level(), request, "acme")));
        assertThat(unrelated.get()).isEqualTo(new Seen(0, SpanContext.getInvalid(), null));
        assertThat(Context.current()).as("the forking thread's context is its own again").isSameAs(Context.root());
    }

    @Test
    void aSpanStartedInASubtask_isAChildOfTheForkersSpan_andTheSubtasksContextEndsWithIt() throws Exception {
        var exporter = InMemorySpanExporter.create();
        AtomicReference<Context> afterTheTask = new AtomicReference<>();
        List<SpanData> finished;
        try (var tracerProvider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build()) {
            var tracer = tracerProvider.get("test");
            Span parent = tracer.spanBuilder("request").startSpan();
            try (var _ = parent.makeCurrent();
                    var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                            cfg -> cfg.withPropagator(QuiesceOpenTelemetry.contextPropagator()))) {
                scope.fork(() -> {
                    tracer.spanBuilder("lookup").startSpan().end(); // parent: the current span, carried here
                    return null;
                });
                scope.join();
            } finally {
                parent.end();
            }
            // the same propagator, called by hand as a fork does: clear() leaves the thread's own (root) context
            var p = QuiesceOpenTelemetry.contextPropagator();
            Object captured;
            try (var _ = parent.makeCurrent()) {
                captured = p.capture();
            }
            Thread t = Thread.ofVirtual().start(() -> {
                p.restore(captured);
                p.clear(captured);
                afterTheTask.set(Context.current());
            });
            t.join();
            finished = exporter.getFinishedSpanItems(); // before the provider's close, which clears the exporter
        }
        SpanData lookup = finished.stream().filter(s -> s.getName().equals("lookup"))
                .findFirst().orElseThrow();
        SpanData request = finished.stream().filter(s -> s.getName().equals("request"))
                .findFirst().orElseThrow();
        assertThat(lookup.getParentSpanId()).isEqualTo(request.getSpanId());
        assertThat(lookup.getTraceId()).isEqualTo(request.getTraceId());
        assertThat(afterTheTask.get()).isSameAs(Context.root());
        assertThat(QuiesceOpenTelemetry.contextPropagator().capture()).as("nothing to carry from the root context")
                .isNull();
    }

    @Test
    void withSubtaskSpans_eachSubtaskRunsInASpanOfItsOwn_underTheForkersSpan() throws Exception {
        var exporter = InMemorySpanExporter.create();
        List<SpanData> finished;
        try (var sdk = io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build()) {
            Span request = sdk.getTracer("test").spanBuilder("request").startSpan();
            Queue<String> seenParents = new ConcurrentLinkedQueue<>();
            try (var _ = request.makeCurrent();
                    var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                            cfg -> cfg.withName("orders").withPropagator(QuiesceOpenTelemetry.subtaskSpans(sdk)))) {
                for (int i = 0; i < 3; i++) {
                    scope.fork(() -> seenParents.add(Span.current().getSpanContext().getSpanId()));
                }
                scope.join();
            } finally {
                request.end();
            }
            finished = exporter.getFinishedSpanItems();
            assertThat(finished).filteredOn(s -> s.getName().equals(QuiesceOpenTelemetry.SUBTASK_SPAN)).hasSize(3)
                    .allSatisfy(s -> {
                        assertThat(s.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
                        assertThat(s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey(
                                "quiesce.scope"))).isEqualTo("/orders");
                    })
                    .extracting(SpanData::getSpanId).containsExactlyInAnyOrderElementsOf(seenParents);
        }
        assertThat(QuiesceOpenTelemetry.contextPropagator()).as("the plain propagator makes no spans")
                .isNotEqualTo(QuiesceOpenTelemetry.subtaskSpans(io.opentelemetry.api.OpenTelemetry.noop()));
    }

    /**
     * Opens a scope at {@code level} (the first with the OpenTelemetry propagator, the ones below it with the
     * defaults, which inherit it) and forks {@code fanOut[level - 1]} subtasks into it, each of which records what
     * it sees and opens the next level.
     */
    private static void forkLevels(int level, int[] fanOut, Queue<Seen> seen) throws Exception {
        try (var scope = level == 1 ? Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withPropagator(QuiesceOpenTelemetry.contextPropagator()))
                : Scope.open(Joiner.awaitAllSuccessfulOrThrow())) {
            for (int i = 0; i < fanOut[level - 1]; i++) {
                scope.fork(() -> {
                    seen.add(Seen.now(level));
                    if (level < fanOut.length) {
                        forkLevels(level + 1, fanOut, seen);
                    }
                    return null;
                });
            }
            scope.join();
        }
    }
}
