package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.Graceful;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Jetty server the application built, attached with {@link QuiesceJetty#attach}: it drains although it has no
 * {@code GracefulHandler}; its health endpoints answer as the JDK adapter's; an exception from Jetty's own
 * {@code stop()} (its {@code TimeoutException}, a failing Graceful bean) does not leave connectors or connections
 * open, nor fail the drain.
 */
class QuiesceJettyAttachTest {
    private final SlowApp app = new SlowApp();
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private Shutdown shutdown;

    @AfterEach
    void end() throws Exception {
        app.end(shutdown);
        clients.shutdownNow();
    }

    /** A plain Jetty server, as an application builds it: no GracefulHandler. */
    private Server plainServer() {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(app);
        return server;
    }

    /** Starts a shutdown configured by {@code config}, attaches a plain server to it, and marks it ready. */
    private QuiesceJetty attachPlain(java.util.function.UnaryOperator<Shutdown.Builder> config, Server server)
            throws Exception {
        shutdown = config.apply(SlowApp.shutdown()).start();
        QuiesceJetty jetty = QuiesceJetty.attach(shutdown, server);
        shutdown.markReady();
        return jetty;
    }

    /** One HTTP/1.1 exchange on a new connection: the whole response as text (to the server's close). */
    private static String call(int port, String method, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anAttachedServerWithoutGracefulHandler_drainsItsRequestInFlight() throws Exception {
        QuiesceJetty jetty = attachPlain(b -> b.gracePeriod(Duration.ofMinutes(10)), plainServer());
        int port = jetty.port();
        Future<String> inFlight = clients.submit(() -> call(port, "GET", "/slow"));
        app.slowEntered.await();
        shutdown.initiate("test: attached server");
        awaitTrue(() -> jetty.ingress().describe().accepted() == 1 && refused(port));
        app.release.countDown();
        String reply = inFlight.get();
        assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
        assertTrue(reply.toLowerCase().contains("connection: close"), "a response sent while draining says"
                + " Connection: close: " + reply);
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        assertTrue(jetty.server().isStopped(), "the server is stopped once drained");
        assertTrue(app.slowThread.get().matches("/shutdown/http/req-\\d+"), "a request's thread is named"
                + " <scope path>/req-N: " + app.slowThread.get());
        assertEquals("/shutdown/http", app.slowScope.get(), "a request runs in the scope /shutdown/http");
        assertThrows(IllegalStateException.class, () -> QuiesceJetty.attach(shutdown, jetty.server()),
                "a server is attached once");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void healthEndpoints_answerAsTheJdkAdapter() throws Exception {
        QuiesceJetty jetty = attachPlain(b -> b.preDrainDelay(Duration.ofMinutes(10)), plainServer());
        int port = jetty.port();
        String ready = call(port, "GET", "/health/ready");
        assertTrue(ready.startsWith("HTTP/1.1 200"), ready);
        assertTrue(ready.endsWith("{\"status\":\"SERVING\",\"phase\":\"NONE\",\"inFlight\":0,\"remainingMillis\":"
                + shutdown.remaining().toMillis() + "}") || ready.contains("{\"status\":\"SERVING\",\"phase\":\"NONE\""
                + ",\"inFlight\":0,\"remainingMillis\":"), ready);
        shutdown.initiate("test: health");
        shutdown.readiness().await(Readiness.State.DRAINING);
        String draining = call(port, "GET", "/health/ready");
        assertTrue(draining.startsWith("HTTP/1.1 503"), draining);
        assertTrue(draining.contains("Retry-After: 1"), draining);
        assertTrue(draining.contains("Connection: close"), draining);
        assertTrue(draining.contains("{\"status\":\"DRAINING\",\"phase\":\"READINESS\",\"inFlight\":0,"
                + "\"remainingMillis\":"), draining);
        String live = call(port, "GET", "/health/live");
        assertTrue(live.startsWith("HTTP/1.1 200"), live);
        String head = call(port, "HEAD", "/health/ready");
        assertTrue(head.startsWith("HTTP/1.1 503") && head.endsWith("\r\n\r\n"), "HEAD: no body: " + head);
        String app = call(port, "GET", "/quick");
        assertTrue(app.startsWith("HTTP/1.1 200") && app.endsWith("ok"), "routes are served during the delay: " + app);
        assertEquals(1, jetty.ingress().describe().accepted(), "a probe is no request");
    }

    /** A Graceful bean of the application's whose shutdown fails: Jetty's stop() throws, after its own stops. */
    private static final class FailingGraceful implements Graceful {
        @Override
        public CompletableFuture<Void> shutdown() {
            return CompletableFuture.failedFuture(new IllegalStateException("test: this bean cannot shut down"));
        }

        @Override
        public boolean isShutdown() {
            return true;
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aFailingJettyStop_doesNotSkipTheCleanup_andTheDrainStaysClean() throws Exception {
        Server server = plainServer();
        server.addBean(new FailingGraceful());
        QuiesceJetty jetty = attachPlain(b -> b.gracePeriod(Duration.ofMinutes(10)), server);
        int port = jetty.port();
        Socket idle = new Socket("127.0.0.1", port);
        idle.getOutputStream().write("GET /quick HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = idle.getInputStream();
        awaitTrue(() -> jetty.ingress().describe().completed() == 1);
        shutdown.initiate("test: Jetty's stop fails");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), "Jetty's failing stop() is logged, not a failure"
                + " of the drain: " + report.toText());
        idle.setSoTimeout(30_000);
        String rest = new String(in.readAllBytes(), StandardCharsets.US_ASCII); // to the server's FIN; a reset throws
        assertTrue(rest.startsWith("HTTP/1.1 200"), "the idle connection got its response, then a clean close: " + rest);
        assertTrue(refused(port), "the listener is closed");
        awaitTrue(() -> server.getConnectors()[0].isStopped()); // the test's @Timeout bounds it
        idle.close();
    }

    private static boolean refused(int port) {
        try {
            new Socket("127.0.0.1", port).close();
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier c) throws InterruptedException {
        while (!c.getAsBoolean()) {
            Thread.sleep(1);
        }
    }
}
