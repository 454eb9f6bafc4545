package dev.quiesce.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QuiesceMetricsTest {

    /** An ingress that only counts: requests enter its tracker and leave it when the test says. */
    static final class CountingIngress implements Ingress {
        final InFlightTracker tracker = new InFlightTracker();

        @Override
        public void stopAccepting() {}

        @Override
        public InFlightTracker inFlight() {
            return tracker;
        }

        @Override
        public void goAway() {}

        @Override
        public void forceClose() {}

        @Override
        public IngressDescription describe() {
            return new IngressDescription("api", "HTTP/1.1", "127.0.0.1:0", tracker.entered(), tracker.completed(), 0,
                    0, tracker.inFlight());
        }
    }

    @Test
    void theShutdownsPhases_ingresses_cancellations_andHookFailures_becomeMeters() throws Exception {
        var registry = new SimpleMeterRegistry();
        var metrics = QuiesceMetrics.create(List.of(Tag.of("service", "orders")));
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .preDrainDelay(Duration.ZERO).gracePeriod(Duration.ofMillis(200)).cancelGrace(Duration.ofSeconds(5))
                .onPhase(metrics).start();
        var ingress = new CountingIngress();
        shutdown.ingress(ingress);
        CountDownLatch workerRunning = new CountDownLatch(1);
        shutdown.fork("worker", () -> { // ignores the soft stop: cancelled at the end of the grace period
            workerRunning.countDown();
            Thread.sleep(Duration.ofDays(1));
        });
        shutdown.onCleanup("fails", () -> {
            throw new IllegalStateException("cannot close");
        });
        shutdown.onCleanup("hangs", () -> Thread.sleep(Duration.ofDays(1)), Duration.ofMillis(100));
        metrics.monitor(shutdown).bindTo(registry);
        workerRunning.await();

        var request = ingress.tracker.enter();
        assertThat(registry.get(QuiesceMetrics.IN_FLIGHT).tag("ingress", "api").tag("service", "orders").gauge()
                .value()).isEqualTo(1.0);
        request.close();
        assertThat(registry.get(QuiesceMetrics.IN_FLIGHT).tag("ingress", "api").gauge().value()).isZero();
        assertThat(registry.get(QuiesceMetrics.RUNNING).tag("scope", shutdown.scope().path()).gauge().value())
                .isEqualTo(1.0);
        assertThat(registry.get(QuiesceMetrics.SINCE_TRIGGER).timeGauge().value()).isNaN();

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();

        assertThat(registry.get(QuiesceMetrics.SINCE_TRIGGER).timeGauge().value(TimeUnit.NANOSECONDS)).isPositive();
        String outcome = report.outcome().name().toLowerCase(Locale.ROOT);
        for (ShutdownReport.PhaseTiming t : report.phases()) {
            Timer timer = registry.get(QuiesceMetrics.PHASE).tag("phase", t.phase().name().toLowerCase(Locale.ROOT))
                    .tag("outcome", outcome).tag("service", "orders").timer();
            assertThat(timer.count()).as("timer of %s", t.phase()).isEqualTo(1);
            assertThat(timer.totalTime(TimeUnit.NANOSECONDS)).isEqualTo((double) t.duration().toNanos());
        }
        assertThat(report.phases()).extracting(ShutdownReport.PhaseTiming::phase).contains(Phase.DRAIN, Phase.CLEANUP);
        assertThat(registry.get(QuiesceMetrics.CANCELLED).counter().count()).isEqualTo(report.tasksCancelled())
                .isGreaterThanOrEqualTo(1);
        assertThat(registry.get(QuiesceMetrics.HOOK_FAILURES).counter().count()).isEqualTo(1);
        assertThat(registry.get(QuiesceMetrics.HOOK_TIMEOUTS).counter().count()).isEqualTo(1);
        assertThat(registry.get(QuiesceMetrics.STRAGGLERS).counter().count()).isEqualTo(report.stragglers().size());
    }

    @Test
    void runningSubtasks_areGaugedPerTopLevelScope_andAClosedScopeLeavesTheGauge() throws Exception {
        var registry = new SimpleMeterRegistry();
        var metrics = QuiesceMetrics.create();
        String path;
        CountDownLatch started = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        try (var root = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("metrics-root"))) {
            path = root.path();
            root.fork(() -> {
                try (var child = Scope.open(Joiner.awaitAll())) { // a nested scope counts toward its root
                    for (int i = 0; i < 2; i++) {
                        child.fork(() -> {
                            started.countDown();
                            release.await();
                            return null;
                        });
                    }
                    started.countDown();
                    child.join();
                }
                return null;
            });
            started.await();
            metrics.bindTo(registry);
            assertThat(registry.get(QuiesceMetrics.RUNNING).tag("scope", path).gauge().value()).isEqualTo(3.0);
            release.countDown();
            root.join();
            assertThat(registry.get(QuiesceMetrics.RUNNING).tag("scope", path).gauge().value()).isZero();
        }
        metrics.refreshScopes();
        assertThat(registry.find(QuiesceMetrics.RUNNING).tag("scope", path).gauge()).isNull();
        assertThat(registry.get(QuiesceMetrics.HOOK_FAILURES).counter().count()).isZero();
    }
}
