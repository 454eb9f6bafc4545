package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.test.QuiesceLeakCheck;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sample 18's companion: the service's shutdown tested as a user tests theirs, a {@code ShutdownRehearsal} in
 * the virtual time of a {@code VirtualClock}, with {@code @QuiesceLeakCheck} on. The wrong wiring fails the
 * same assertions the right one passes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@QuiesceLeakCheck
class Sample18Test {

    @Test
    void theRightWiring_sendsTheOutboxBeforeThePoolCloses_andExitsZero_after5VirtualSeconds() throws Exception {
        var outcome = Sample18_TestingYourShutdown.rehearse(false);

        assertThat(outcome.events()).containsExactly("consumer stopped", "outbox sent 3 orders", "db pool closed");
        assertThat(outcome.result().exitCode()).isZero();
        ShutdownReport report = outcome.result().report();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.phase(Phase.READINESS).orElseThrow().duration()).as("the pre-drain delay, exactly")
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(report.total()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void theWrongWiring_closesThePoolBeforeTheOutboxHook_andTheRehearsalSaysSo() throws Exception {
        var outcome = Sample18_TestingYourShutdown.rehearse(true);

        assertThat(outcome.events()).as("the assertion the right wiring passes fails here")
                .doesNotContain("outbox sent 3 orders").startsWith("db pool closed");
        assertThat(outcome.result().exitCode()).isEqualTo(3);
        assertThat(outcome.result().report().total()).as("the same 5 s timeline").isEqualTo(Duration.ofSeconds(5));
        assertThat(outcome.result().report().hooks()).filteredOn(h -> h.name().equals("outbox")).singleElement()
                .satisfies(h -> {
                    assertThat(h.status()).isEqualTo(ShutdownReport.HookStatus.FAILED);
                    assertThat(h.error()).hasValueSatisfying(e -> assertThat(e).contains("pool is closed"));
                });
    }
}
