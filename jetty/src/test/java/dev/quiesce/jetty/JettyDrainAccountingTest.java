package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the shutdown sees of the Jetty server, with the JDK's {@code HttpClient} as the client: the shutdown's own
 * counts include the Jetty requests, as they include the JDK adapter's (the report's "in flight at trigger" and
 * "drained", the health body's {@code inFlight}, each request once); and an idle HTTP/2 connection does not hold
 * the drain.
 */
class JettyDrainAccountingTest {
    private final SlowApp app = new SlowApp();
    private Shutdown shutdown;

    @AfterEach
    void end() throws InterruptedException {
        app.end(shutdown);
    }

    /** Starts the adapter on a free port with {@code grace}: a drain held past it ends FORCED, not CLEAN. */
    private URI start(Duration grace) throws Exception {
        shutdown = SlowApp.shutdown().gracePeriod(grace).start();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(app).start();
        shutdown.markReady();
        return URI.create("http://127.0.0.1:" + jetty.port());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRequestInFlightAtTheTrigger_isInTheReportsCounts_andCountedOnceByTheHealthBody() throws Exception {
        URI base = start(Duration.ofMinutes(5));
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(base.resolve("/slow")).build(), HttpResponse.BodyHandlers.ofString());
            app.slowEntered.await();
            String health = client.send(HttpRequest.newBuilder(base.resolve("/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(health.contains("\"inFlight\":1,"), health);

            shutdown.initiate("test: the report's counts");
            app.release.countDown();
            assertEquals(200, slow.get(10, TimeUnit.SECONDS).statusCode());
            ShutdownReport report = shutdown.awaitTermination();
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
            assertEquals(1, report.requestsInFlightAtTrigger(), report::toText);
            assertEquals(1, report.requestsDrained(), report::toText);
        }
    }

    /**
     * The JDK's {@code HttpClient} upgrades {@code http://} to h2c by default and keeps its connection after the
     * GOAWAY, until it is closed. The drain ends once no request is in flight: it must not wait for such a client to
     * hang up (Jetty's HTTP/2 session container completes its graceful shutdown only when every session has closed).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anIdleUpgradedH2cConnection_doesNotHoldTheDrain_theShutdownEndsClean() throws Exception {
        URI base = start(Duration.ofSeconds(10));
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/quick")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version(), "precondition: the client upgraded to h2c");

            shutdown.initiate("test: an idle h2c client through the drain");
            ShutdownReport report = shutdown.awaitTermination(); // the client still holds its connection
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        }
    }
}
