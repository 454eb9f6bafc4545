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
 * The shutdown's own counts see the Jetty requests, as they see the JDK adapter's: the report's "in flight at
 * trigger" and "drained", and the health body's {@code inFlight} (each request once).
 */
class JettyReportCountsTest {
    private final SlowApp app = new SlowApp();
    private Shutdown shutdown;

    @AfterEach
    void end() throws InterruptedException {
        app.end(shutdown);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aRequestInFlightAtTheTrigger_isInTheReportsCounts_andCountedOnceByTheHealthBody() throws Exception {
        shutdown = SlowApp.shutdown().gracePeriod(Duration.ofMinutes(5)).start();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(app).start();
        shutdown.markReady();
        URI base = URI.create("http://127.0.0.1:" + jetty.port());
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
}
