package dev.quiesce.tck.http;

import com.sun.net.httpserver.HttpExchange;
import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.tck.Handlers;
import dev.quiesce.tck.Http1Client;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.Route;
import dev.quiesce.tck.ServerUnderTest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The JDK's HttpServer adapter, {@link DrainingHttpServer}, passes the kit. In a package of its own, as an
 * adapter's test is: it uses only the kit's public API.
 */
class DrainingHttpServerIngressTest extends IngressContractTest {

    /** A handler's body, which may be interrupted. */
    private interface Body {
        String get() throws InterruptedException;
    }

    @Override
    protected IngressFactory factory() {
        return jdk();
    }

    /** The JDK adapter with the kit's routes, {@link Route#EVENTS} included. */
    static IngressFactory jdk() {
        return (shutdown, handlers) -> {
            DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                    .route(Http1Client.path(Route.QUICK), ex -> send(ex, handlers::quick))
                    .route(Http1Client.path(Route.SLOW), ex -> send(ex, handlers::slow))
                    .route(Http1Client.path(Route.EVENTS), ex -> stream(ex, handlers))
                    .start();
            return ServerUnderTest.http1(server.ingress(), server.address());
        };
    }

    /** Server-sent events: 200, chunked, one flush per event; the stream ends when the handler returns. */
    private static void stream(HttpExchange exchange, Handlers handlers) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            handlers.events(event -> {
                out.write(event.getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
        } catch (InterruptedException e) {
            var io = new InterruptedIOException("cancelled");
            io.initCause(e);
            throw io;
        }
    }

    private static void send(HttpExchange exchange, Body body) throws IOException {
        byte[] bytes;
        try {
            bytes = body.get().getBytes(StandardCharsets.UTF_8);
        } catch (InterruptedException e) {
            // cancelled: the server answers 503 for a request whose scope is cancelled
            var io = new InterruptedIOException("cancelled");
            io.initCause(e);
            throw io;
        }
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
