package dev.quiesce.opentelemetry;

import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.test.VirtualClock;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shutdown's spans (a span per phase under one shutdown span, an event per hook), exported by the SDK's flush in
 * the reserved telemetry-flush slice, also after a drain that ran over. The spans are batched with a schedule delay
 * of an hour: only the flush can export them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShutdownSpansTest {
    private static final Duration REAL = Duration.ofSeconds(10);

    /**
     * An {@link InMemorySpanExporter} that keeps its spans when the SDK shuts it down (the in-memory one clears
     * them), and notes in which phase of the shutdown each export and the shutdown came.
     */
    static final class KeepingExporter implements SpanExporter {
        final InMemorySpanExporter spans = InMemorySpanExporter.create();
        final List<Optional<Phase>> exportedIn = new CopyOnWriteArrayList<>();
        final List<Optional<Phase>> closedIn = new CopyOnWriteArrayList<>();
        volatile Shutdown shutdown;

        private Optional<Phase> phase() {
            Shutdown s = shutdown;
            return s == null ? Optional.empty() : s.phase();
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            exportedIn.add(phase());
            return spans.export(batch);
        }

        @Override
        public CompletableResultCode flush() {
            return spans.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            closedIn.add(phase());
            return CompletableResultCode.ofSuccess();
        }
    }

    static OpenTelemetrySdk sdk(SpanExporter exporter) {
        return OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofHours(1)).build())
                .build()).build();
    }

    @Test
    void aDrainThatRanOver_stillHasEverySpanExportedInTheFlushSlice_inOrder_withTheRightParents() throws Exception {
        var exporter = new KeepingExporter();
        OpenTelemetrySdk sdk = sdk(exporter);
        var clock = new VirtualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                    .gracePeriod(Duration.ofSeconds(15))
                    .telemetryFlush(Duration.ofSeconds(2))
                    .onPhase(QuiesceOpenTelemetry.create(sdk))
                    .start();
            exporter.shutdown = shutdown;
            QuiesceOpenTelemetry.install(shutdown, sdk);
            var workerStarted = new CountDownLatch(1);
            shutdown.fork("stubborn-worker", () -> { // ignores the soft stop: the drain runs its whole grace
                workerStarted.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            shutdown.onCleanup("pool", () -> { });
            shutdown.onCleanup("broken", () -> {
                throw new IllegalStateException("already closed");
            });
            shutdown.markReady();
            workerStarted.await();

            shutdown.initiate("test");
            clock.awaitWaiter(Duration.ofSeconds(15), REAL); // the drain, to the end of the grace period
            clock.advance(Duration.ofSeconds(15));
            report = shutdown.awaitTermination(); // the rest takes no virtual time: the flush is not timed out
        }

        ShutdownReport.PhaseTiming flush = report.phase(Phase.TELEMETRY_FLUSH).orElseThrow();
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).startsWith("grace period expired");
        assertThat(flush.startOffset()).isEqualTo(Duration.ofSeconds(15));
        assertThat(flush.duration()).isLessThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(report.hooks()).filteredOn(h -> h.phase() == Phase.TELEMETRY_FLUSH)
                .extracting(ShutdownReport.HookOutcome::name, ShutdownReport.HookOutcome::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(QuiesceOpenTelemetry.FLUSH_HOOK,
                        ShutdownReport.HookStatus.OK));
        assertThat(report.exitCode()).isEqualTo(ShutdownReport.Outcome.FORCED.exitCode());
        // exported by the flush, not before it; and the exporter closed in it too
        assertThat(exporter.exportedIn).isNotEmpty().containsOnly(Optional.of(Phase.TELEMETRY_FLUSH));
        assertThat(exporter.closedIn).containsExactly(Optional.of(Phase.TELEMETRY_FLUSH));

        List<SpanData> spans = exporter.spans.getFinishedSpanItems();
        assertThat(spans).extracting(SpanData::getName).containsExactly(
                "quiesce.shutdown.trigger", "quiesce.shutdown.readiness", "quiesce.shutdown.stop_accepting",
                "quiesce.shutdown.drain", "quiesce.shutdown.cancel", "quiesce.shutdown.abandon",
                "quiesce.shutdown.persist", "quiesce.shutdown.cleanup", "quiesce.shutdown.report",
                QuiesceOpenTelemetry.SHUTDOWN_SPAN);
        SpanData root = spans.getLast();
        assertThat(root.getParentSpanId()).isEqualTo(SpanId.getInvalid());
        assertThat(root.getAttributes().get(stringKey("quiesce.shutdown.outcome"))).isEqualTo("FORCED");
        assertThat(root.getAttributes().get(longKey("quiesce.shutdown.exit_code")))
                .isEqualTo((long) ShutdownReport.Outcome.FORCED.exitCode());
        assertThat(root.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(spans.subList(0, spans.size() - 1)).allSatisfy(s -> {
            assertThat(s.getParentSpanId()).as(s.getName()).isEqualTo(root.getSpanId());
            assertThat(s.getTraceId()).as(s.getName()).isEqualTo(root.getTraceId());
        });
        // the times are the report's: virtual ones here (the drain took 15 s of the clock's time)
        SpanData drain = spans.get(3);
        assertThat(drain.getEndEpochNanos() - drain.getStartEpochNanos()).isEqualTo(Duration.ofSeconds(15).toNanos());
        assertThat(drain.getStartEpochNanos()).isEqualTo(root.getStartEpochNanos());

        SpanData cleanup = spans.get(7);
        assertThat(cleanup.getEvents()).extracting(EventData::getName).containsOnly(QuiesceOpenTelemetry.HOOK_EVENT);
        // cleanup resources close in reverse order of registration
        assertThat(cleanup.getEvents()).extracting(e -> e.getAttributes().get(stringKey("quiesce.hook.name")),
                e -> e.getAttributes().get(stringKey("quiesce.hook.status"))).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("broken", "FAILED"),
                        org.assertj.core.groups.Tuple.tuple("pool", "OK"));
        assertThat(cleanup.getEvents().getFirst().getAttributes().get(stringKey("quiesce.hook.error")))
                .contains("already closed");
        assertThat(cleanup.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(spans.get(3).getAttributes().get(stringKey("quiesce.phase.note"))).startsWith("grace period expired");
    }

    @Test
    void install_withoutAFlushSlice_isRefused_sayingWhatToSet() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try (OpenTelemetrySdk sdk = sdk(new KeepingExporter())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> QuiesceOpenTelemetry.install(shutdown, sdk))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("telemetryFlush(");
        } finally {
            shutdown.initiate("test over");
            shutdown.awaitTermination();
        }
    }
}
