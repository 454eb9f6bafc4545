package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WebSocket part of the contract: a WebSocket open at the drain is closed by the server with status 1001
 * (going away, RFC 6455 section 7.4.1), within the grace period, and the drain ends CLEAN. An adapter opts in by
 * extending this class; its factory also serves an idle WebSocket endpoint on {@link #PATH} (the server's end
 * stays open and sends nothing):
 *
 * <pre>{@code
 * class MyServerWebSocketTest extends WebSocketContractTest {
 *     @Override
 *     protected IngressFactory factory() {
 *         return (shutdown, handlers) -> ...; // a WebSocket endpoint on /tck/ws that does nothing
 *     }
 * }
 * }</pre>
 *
 * <p>The client is the JDK's ({@code java.net.http.WebSocket}, HTTP/1.1 upgrade). Not thread-safe; JUnit runs
 * each test on a fresh instance.
 */
public abstract class WebSocketContractTest extends ContractSuite {
    /** Where the factory serves the idle WebSocket endpoint: {@value}. */
    public static final String PATH = "/tck/ws";

    /** For subclasses. */
    protected WebSocketContractTest() {}

    /**
     * An open WebSocket is closed by the server with 1001 once the shutdown has begun, and the drain is CLEAN.
     *
     * @throws Exception if the test fails
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void anOpenWebSocket_isClosedWith1001_andTheDrainIsClean() throws Exception {
        startWithALongGrace();
        HttpClient client = HttpClient.newHttpClient();
        run.connections.add(client::shutdownNow);
        var closed = new CompletableFuture<Integer>();
        WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create("ws://"
                + run.server.address().getHostString() + ":" + run.server.address().getPort() + PATH),
                new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null; // the JDK's WebSocket answers the close with its own
                    }

                    @Override
                    public void onError(WebSocket webSocket, Throwable error) {
                        closed.completeExceptionally(error);
                    }
                }).get(); // the test's @Timeout bounds it
        run.connections.add(ws::abort);
        run.shutdown.initiate("tck: a WebSocket at the drain");
        assertEquals(1001, closed.get(), "an open WebSocket must be told the server is going away (1001)");
        run.awaitClean();
    }
}
