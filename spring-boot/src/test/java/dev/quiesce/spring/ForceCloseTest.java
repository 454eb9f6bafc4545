package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A request still running when the grace period ends is interrupted (Tomcat's threads are not in the scope tree, so
 * the ingress's forceClose interrupts them), counted cancelled, and answered 503 with {@code Connection: close}.
 */
class ForceCloseTest {

    @Test
    @Timeout(60)
    void aRequestStillRunningAtTheEndOfTheGrace_isInterruptedAndCountedCancelled() throws Exception {
        TestApp.reset();
        ConfigurableApplicationContext context = Apps.run("quiesce.shutdown.grace-period=200ms");
        Shutdown shutdown = context.getBean(Shutdown.class);
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        try (Socket held = Http.connect(port)) {
            Http.send(held, "/hold");
            assertThat(TestApp.entered.await(30, TimeUnit.SECONDS)).isTrue();
            shutdown.initiate("test");
            ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

            assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
            assertThat(report.ingresses()).singleElement().satisfies(i -> {
                assertThat(i.accepted()).isEqualTo(1);
                assertThat(i.cancelled()).isEqualTo(1);
                assertThat(i.completed()).isZero();
                assertThat(i.inFlight()).isZero();
            });
            assertThat(TestApp.release.getCount()).as("the handler was not released: it was interrupted").isOne();
            assertThat(TestApp.EVENTS).as("interrupted by the CANCEL phase, not by Tomcat's stop in CLEANUP")
                    .containsSubsequence("hold-interrupted", "context-closed");
            String response = Http.read(held);
            assertThat(response).as("answered 503, never dropped").startsWith("HTTP/1.1 503")
                    .containsIgnoringCase("connection: close").contains("shutting down");
        }
        assertThat(context.isActive()).isFalse();
    }
}
