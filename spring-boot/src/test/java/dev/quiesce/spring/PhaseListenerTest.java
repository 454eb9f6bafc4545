package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.annotation.Bean;

/** A {@link Shutdown.PhaseListener} bean is added to the shutdown's builder: it sees every phase and the report. */
class PhaseListenerTest {
    static final List<String> SEEN = new CopyOnWriteArrayList<>();

    /** Not a scanned configuration: only this test adds it. */
    static class Listening {
        @Bean
        Shutdown.PhaseListener recordingListener() {
            return new Shutdown.PhaseListener() {
                @Override
                public void started(Phase phase) {
                    SEEN.add("started " + phase);
                }

                @Override
                public void reported(ShutdownReport report) {
                    SEEN.add("report " + report.outcome());
                }
            };
        }
    }

    @Test
    @Timeout(60)
    void aPhaseListenerBean_seesThePhasesAndTheReport() throws Exception {
        SEEN.clear();
        Shutdown shutdown = Apps.builder().sources(Listening.class).run().getBean(Shutdown.class);
        assertThat(shutdown.initiate("test")).isTrue();
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(SEEN).containsSubsequence("started TRIGGER", "started DRAIN", "started CLEANUP",
                "report " + report.outcome());
    }
}
