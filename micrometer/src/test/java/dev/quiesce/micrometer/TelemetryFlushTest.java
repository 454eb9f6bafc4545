package dev.quiesce.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link QuiesceMetrics#closeInTelemetryFlush}: the registry is closed in the flush slice, with the report's meters in it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TelemetryFlushTest {

    /** A registry that notes, when it is closed, the shutdown's phase and how many phase timers it holds. */
    static final class ClosingRegistry extends SimpleMeterRegistry {
        final List<String> closes = new CopyOnWriteArrayList<>();
        volatile Shutdown shutdown;

        @Override
        public void close() {
            Optional<Phase> phase = shutdown.phase();
            closes.add(phase.map(Phase::name).orElse("none") + " with "
                    + find(QuiesceMetrics.PHASE).timers().size() + " phase timers");
            super.close();
        }
    }

    @Test
    void theRegistry_isClosedInTheTelemetryFlush_afterThePhaseTimersAreRecorded() throws Exception {
        var registry = new ClosingRegistry();
        var metrics = QuiesceMetrics.create();
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .telemetryFlush(Duration.ofSeconds(1)).onPhase(metrics).start();
        registry.shutdown = shutdown;
        metrics.monitor(shutdown).bindTo(registry);
        QuiesceMetrics.closeInTelemetryFlush(shutdown, registry);

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();

        // TRIGGER to REPORT: the phases the report the listeners are told holds (the flush comes after it)
        assertThat(registry.closes).containsExactly("TELEMETRY_FLUSH with 9 phase timers");
        assertThat(registry.isClosed()).isTrue();
        assertThat(report.hooks()).filteredOn(h -> h.phase() == Phase.TELEMETRY_FLUSH)
                .extracting(ShutdownReport.HookOutcome::name, ShutdownReport.HookOutcome::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("micrometer-ClosingRegistry",
                        ShutdownReport.HookStatus.OK));
    }

    @Test
    void withoutAFlushSlice_theCloseIsRefused_sayingWhatToSet() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> QuiesceMetrics.closeInTelemetryFlush(shutdown, new SimpleMeterRegistry()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("telemetryFlush(");
        } finally {
            shutdown.initiate("test over");
            shutdown.awaitTermination();
        }
    }
}
