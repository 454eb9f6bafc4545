package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A WebSocket open at the drain is closed with 1001 (going away), and the drain is clean. */
class JettyWebSocketTest {
    private Shutdown shutdown;

    @AfterEach
    void end() throws Exception {
        new SlowApp().end(shutdown);
    }

    /** The server's end of a socket: it does nothing but stay open. */
    public static final class Idle implements Session.Listener.AutoDemanding {}

    /** The client's end: records the close code. */
    public static final class Closes implements Session.Listener.AutoDemanding {
        final CompletableFuture<Integer> closed = new CompletableFuture<>();

        @Override
        public void onWebSocketClose(int statusCode, String reason, org.eclipse.jetty.websocket.api.Callback callback) {
            closed.complete(statusCode);
            callback.succeed();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anOpenWebSocket_isClosedWith1001_andTheDrainIsClean() throws Exception {
        shutdown = SlowApp.shutdown().gracePeriod(Duration.ofMinutes(10)).start();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, c -> c.addMapping("/ws", (rq, rs, cb) -> new Idle())));
        QuiesceJetty jetty = QuiesceJetty.attach(shutdown, server);
        shutdown.markReady();
        var client = new WebSocketClient();
        client.start();
        try {
            var socket = new Closes();
            client.connect(socket, URI.create("ws://127.0.0.1:" + jetty.port() + "/ws")).get(10, TimeUnit.SECONDS);
            shutdown.initiate("test: a WebSocket at the drain");
            assertEquals(1001, socket.closed.get(), "an open WebSocket is told the server is going away");
        } finally {
            client.stop();
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
    }
}
