package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The example of the project README's "Testing your shutdown" section: the region {@code readme-testing} (core's
 * {@code ReadmeExamplesTest} checks that the README holds it, as it does for core's regions), run by
 * {@link ReadmeTest}.
 */
final class ReadmeExamples {
    private ReadmeExamples() {}

    /** The service the README's test tests: a db pool, an outbox its persist hook sends through the pool. */
    static final class OrderService {
        private final List<String> events = new CopyOnWriteArrayList<>();

        static Shutdown.Builder shutdownConfig() {
            return Shutdown.builder().platformBudget(Duration.ofSeconds(30)).preDrainDelay(Duration.ofSeconds(5))
                    .gracePeriod(Duration.ofSeconds(10));
        }

        void wire(Shutdown shutdown) {
            shutdown.onCleanup("db-pool", () -> events.add("db pool closed"));
            shutdown.onPersist("outbox", budget -> events.add("outbox sent"));
        }

        List<String> events() {
            return events;
        }
    }

    // @start region="readme-testing"
    @QuiesceLeakCheck
    static class OrderServiceShutdownTest { // @replace substring="static class" replacement="class"
        @Test
        void theOutboxIsSentBeforeThePoolCloses() throws Exception {
            var service = new OrderService();
            var clock = new VirtualClock();
            try (var _ = clock.install();
                    var rehearsal = ShutdownRehearsal.start(clock, OrderService.shutdownConfig(), service::wire)) {
                var result = rehearsal.term(); // a simulated SIGTERM; the 5 s pre-drain delay passes in virtual time
                assertThat(result.exitCode()).isZero();
                assertThat(service.events()).containsSubsequence("outbox sent", "db pool closed");
                assertThat(result.report().phase(Phase.READINESS).orElseThrow().duration())
                        .isEqualTo(Duration.ofSeconds(5));
            }
        }
    }
    // @end
}
