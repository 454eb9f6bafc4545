package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that keeps its HTTP/2 connection after the GOAWAY: the JDK's {@code HttpClient}, which upgrades
 * {@code http://} to h2c by default and closes its connections only when it is closed. The drain must end once no
 * request is in flight; it must not wait for such a client to hang up (Jetty's HTTP/2 session container completes
 * its graceful shutdown only when every session has closed).
 */
class JettyIdleH2cClientTest {
    private final SlowApp app = new SlowApp();
    private Shutdown shutdown;

    @AfterEach
    void end() throws InterruptedException {
        app.end(shutdown);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anIdleUpgradedH2cConnection_doesNotHoldTheDrain_theShutdownEndsClean() throws Exception {
        // the grace is what a held drain would use up: then the outcome is FORCED, not CLEAN
        shutdown = SlowApp.shutdown().gracePeriod(Duration.ofSeconds(10)).start();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(app).start();
        shutdown.markReady();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jetty.port()
                    + "/quick")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version(), "precondition: the client upgraded to h2c");

            shutdown.initiate("test: an idle h2c client through the drain");
            ShutdownReport report = shutdown.awaitTermination(); // the client still holds its connection
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        }
    }
}
