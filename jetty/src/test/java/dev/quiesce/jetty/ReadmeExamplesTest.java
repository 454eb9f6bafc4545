package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's Jetty examples run: the server is ready, serves, and drains with the shutdown. */
class ReadmeExamplesTest {
    private final SlowApp app = new SlowApp();
    private Shutdown shutdown;

    @AfterEach
    void end() throws Exception {
        app.end(shutdown);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theBuilderExample_servesAndDrains() throws Exception {
        shutdown = SlowApp.shutdown().start();
        servesAndDrains(ReadmeExamples.built(shutdown, app, "127.0.0.1", 0));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theAttachExample_servesAndDrains() throws Exception {
        shutdown = SlowApp.shutdown().start();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(app);
        servesAndDrains(ReadmeExamples.attached(shutdown, server));
    }

    /** The server is ready and serves; at the trigger it drains, CLEAN, its one request counted, and stops. */
    private void servesAndDrains(QuiesceJetty jetty) throws Exception {
        assertTrue(get(jetty.port(), "/health/ready").startsWith("HTTP/1.1 200"), "ready once markReady() ran");
        String reply = get(jetty.port(), "/quick");
        assertTrue(reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok"), reply);
        shutdown.initiate("test: the README's example");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        assertEquals(1, jetty.ingress().describe().completed(), () -> "the request: " + jetty.ingress().describe());
        assertTrue(jetty.server().isStopped(), "stopped by the drain");
    }

    private static String get(int port, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
