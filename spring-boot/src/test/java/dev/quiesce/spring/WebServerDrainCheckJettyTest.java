package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@link WebServerDrainCheck} on Boot's Jetty (the {@code jetty} test run, Tomcat off the class path): drained through
 * quiesce-jetty, nothing is said; without its auto-configuration (as without the dependency) the warning names
 * quiesce-jetty.
 */
@Tag("jetty")
@Timeout(120)
class WebServerDrainCheckJettyTest {

    @Test
    void jettyWithQuiesceJetty_isDrained_andNothingIsSaid() throws Exception {
        ConfigurableApplicationContext context = Apps.run();
        try {
            assertThat(context.getBean(Shutdown.class).ingresses()).isNotEmpty();
            assertThat(check(context).warning()).isNull();
        } finally {
            close(context);
        }
    }

    @Test
    void jettyWithoutTheAdapter_isNamedAtStartup_withTheDependencyToAdd() throws Exception {
        ConfigurableApplicationContext context = Apps.run(
                "spring.autoconfigure.exclude=dev.quiesce.spring.jetty.QuiesceJettyAutoConfiguration");
        try {
            assertThat(check(context).warning()).contains("(JettyServletWebServer)")
                    .contains("add the dependency dev.quiesce:quiesce-jetty");
        } finally {
            close(context);
        }
    }

    private static WebServerDrainCheck check(ConfigurableApplicationContext context) {
        return (WebServerDrainCheck) context.getBean("quiesceWebServerDrainCheck");
    }

    private static void close(ConfigurableApplicationContext context) throws InterruptedException {
        Shutdown shutdown = context.getBean(Shutdown.class);
        context.close();
        assertThat(shutdown.awaitTermination(Duration.ofSeconds(30))).isPresent();
    }
}
