package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestExecutionListeners;
import org.springframework.test.context.support.DependencyInjectionTestExecutionListener;
import org.springframework.test.context.support.DirtiesContextTestExecutionListener;

/**
 * The whole sequence in a Boot application on Tomcat, triggered in-process: readiness refuses traffic while the
 * listener is still open (pre-drain delay), then the listener closes, the request in flight completes with
 * {@code Connection: close}, the beans' cleanup hooks run, and the context closes last.
 */
@SpringBootTest(classes = TestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "quiesce.shutdown.signals=", "quiesce.shutdown.exit-policy=RETURN", "quiesce.shutdown.pre-drain-delay=3s", "quiesce.shutdown.grace-period=10s",
        "management.endpoint.health.probes.enabled=true", "management.endpoints.web.exposure.include=health"})
@DirtiesContext
// the test closes the context (Quiesce's cleanup does): only the listeners that do not use it after the test
@TestExecutionListeners(listeners = {DependencyInjectionTestExecutionListener.class,
        DirtiesContextTestExecutionListener.class}, mergeMode = TestExecutionListeners.MergeMode.REPLACE_DEFAULTS)
class ShutdownOrderTest {

    @Autowired
    Shutdown shutdown;

    @Autowired
    ConfigurableApplicationContext context;

    @LocalServerPort
    int port;

    @BeforeAll
    static void reset() {
        TestApp.reset();
    }

    /** The simple name of the web server Boot made. */
    String expectedServer() {
        return "TomcatWebServer";
    }

    /** The name of the web server's ingress in the report. */
    String expectedIngress() {
        return "http";
    }

    /** Checks the path of the Quiesce scope the held request ran in ("none": not in the scope tree). */
    void checkRequestScope(String path) {
        assertThat(path).as("Tomcat's requests run in Tomcat's threads").isEqualTo("none");
    }

    @Test
    @Timeout(60)
    void readinessThenListenerCloseThenDrainThenHooksThenContext() throws Exception {
        assertThat(((org.springframework.boot.web.server.context.WebServerApplicationContext) context).getWebServer()
                .getClass().getSimpleName()).isEqualTo(expectedServer());
        assertThat(shutdown.readiness().get()).isEqualTo(Readiness.State.SERVING);
        assertThat(Http.get(port, "/actuator/health/readiness")).startsWith("HTTP/1.1 200");
        try (Socket held = Http.connect(port)) {
            Http.send(held, "/hold");
            assertThat(TestApp.entered.await(30, TimeUnit.SECONDS)).isTrue();
            checkRequestScope(TestApp.holdScope);
            // the readiness request above has been answered, but the server may count it until its exchange has
            // ended (Jetty's completes after the response is written): the trigger must see only the held one
            Http.awaitTrue("only the held request in flight", () -> shutdown.inFlight().inFlight() == 1);

            shutdown.initiate("test");

            // the pre-drain delay: readiness is down, liveness up, and the listener still takes connections
            Http.awaitTrue("readiness 503", () -> {
                try {
                    return Http.get(port, "/actuator/health/readiness").startsWith("HTTP/1.1 503");
                } catch (java.io.IOException e) {
                    throw new AssertionError("the listener closed before readiness was seen down", e);
                }
            });
            assertThat(Http.get(port, "/actuator/health/liveness")).startsWith("HTTP/1.1 200");
            assertThat(TestApp.EVENTS).containsExactly("refusing-traffic");

            Http.awaitTrue("listener closed", () -> Http.refused(port));
            TestApp.EVENTS.add("listener-closed");

            TestApp.release.countDown();
            String response = Http.read(held);
            assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("held");
            assertThat(held.getInputStream().read()).as("the kept-alive connection is closed").isEqualTo(-1);
        }

        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        // the request held across the trigger, in the report's requests line (Tomcat's requests are the shutdown's)
        assertThat(report.requestsInFlightAtTrigger()).isEqualTo(1);
        assertThat(TestApp.EVENTS).containsExactly("refusing-traffic", "listener-closed", "cleanup-hook",
                "context-closed", "bean-destroyed");
        assertThat(context.isActive()).isFalse();
        assertThat(report.ingresses()).singleElement().satisfies(i -> {
            assertThat(i.name()).isEqualTo(expectedIngress());
            assertThat(i.inFlight()).isZero();
            assertThat(i.drained()).isEqualTo(1);
            assertThat(i.cancelled()).isZero();
        });
    }
}
