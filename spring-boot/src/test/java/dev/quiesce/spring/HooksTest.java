package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/** Beans register persist and cleanup hooks by interface and by annotation; they run before the context closes. */
class HooksTest {

    /** Not a scanned configuration: only this test adds it. */
    static class Hooks {
        @Bean
        Annotated annotated() {
            return new Annotated();
        }

        @Bean
        Implementing implementing() {
            return new Implementing();
        }

        @Bean
        OnlyCleanup onlyCleanup() {
            return new OnlyCleanup();
        }
    }

    static class Annotated {
        @OnPersist
        void save(Duration budget) {
            TestApp.EVENTS.add("annotated-persist " + budget.isPositive());
        }

        @OnCleanup
        void release() {
            TestApp.EVENTS.add("annotated-cleanup");
        }
    }

    static class Implementing implements QuiesceHooks {
        @Override
        public void persist(Duration budget) {
            TestApp.EVENTS.add("interface-persist");
        }

        @Override
        public void cleanup() {
            TestApp.EVENTS.add("interface-cleanup");
        }
    }

    static class OnlyCleanup implements QuiesceHooks {
        @Override
        public void cleanup() {
            TestApp.EVENTS.add("only-cleanup");
        }
    }

    @Test
    @Timeout(60)
    void hooksByInterfaceAndAnnotation_runInTheirPhases_beforeTheContextCloses() throws Exception {
        TestApp.reset();
        ConfigurableApplicationContext context = Apps.builder().sources(Hooks.class).run();
        Shutdown shutdown = context.getBean(Shutdown.class);
        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(TestApp.EVENTS).contains("annotated-persist true", "interface-persist", "annotated-cleanup",
                "interface-cleanup", "only-cleanup", "context-closed");
        assertThat(TestApp.EVENTS.stream().filter(e -> e.contains("persist"))).hasSize(2); // none for OnlyCleanup
        int closed = TestApp.EVENTS.indexOf("context-closed");
        assertThat(TestApp.EVENTS.indexOf("annotated-cleanup")).isLessThan(closed);
        assertThat(TestApp.EVENTS.indexOf("interface-cleanup")).isLessThan(closed);
        assertThat(TestApp.EVENTS.indexOf("interface-persist")).isLessThan(TestApp.EVENTS.indexOf("interface-cleanup"));
        // reverse order of initialization: the bean made last closes first
        assertThat(TestApp.EVENTS.indexOf("only-cleanup")).isLessThan(TestApp.EVENTS.indexOf("interface-cleanup"));
    }
}
