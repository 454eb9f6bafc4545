package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/** A context closed by the application (not by a signal) drains first: the close runs Quiesce's sequence. */
class ExternalCloseTest {

    @Test
    @Timeout(60)
    void closingTheContext_drainsTheRequestInFlightBeforeTheServerStops() throws Exception {
        TestApp.reset();
        ConfigurableApplicationContext context = Apps.run();
        Shutdown shutdown = context.getBean(Shutdown.class);
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        try (Socket held = Http.connect(port)) {
            Http.send(held, "/hold");
            assertThat(TestApp.entered.await(30, TimeUnit.SECONDS)).isTrue();
            Thread closer = Thread.ofPlatform().start(context::close);
            Http.awaitTrue("listener closed", () -> Http.refused(port));
            assertThat(context.isActive()).as("the close waits for the drain").isTrue();
            TestApp.release.countDown();
            assertThat(Http.read(held)).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close")
                    .endsWith("held");
            closer.join();
        }
        ShutdownReport report = shutdown.report().orElseThrow();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.ingresses()).singleElement().satisfies(i -> assertThat(i.drained()).isEqualTo(1));
        assertThat(context.isActive()).isFalse();
        assertThat(TestApp.EVENTS).contains("cleanup-hook", "bean-destroyed");
        assertThat(TestApp.EVENTS.indexOf("cleanup-hook")).isLessThan(TestApp.EVENTS.indexOf("bean-destroyed"));
    }
}
