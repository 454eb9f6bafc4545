package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.quiesce.CancelReason;
import dev.quiesce.Scope;
import dev.quiesce.internal.SubtaskImpl;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps every route's handler: counts the request as work from the moment it reaches the handler, adds
 * {@code Connection: close} once draining, enforces the body limit, answers 503 when cancelled or too late,
 * and 500 (logged once) when the handler fails.
 */
record RouteHandler(DrainingHttpServer server, HttpHandler handler, long maxRequestBody) implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DrainingHttpServer.class);

    @Override
    public void handle(HttpExchange original) throws IOException {
        // decides Connection: close when the response starts, not when the request arrived: a request
        // already running when the drain begins must also tell its client to reconnect elsewhere
        if (!ExchangeExecutor.requestStarted()) {
            // closed for a slow request head just as the head arrived: not a request; with no response sent,
            // closing the exchange closes its connection
            original.close();
            return;
        }
        DrainingExchange exchange = new DrainingExchange(original, server);
        try (exchange) {
            if (SubtaskImpl.current() == null) { // not in the http scope: the server is stopping
                Responses.sendJson(exchange, 503, Map.of("error", "server is shutting down"), true);
                return;
            }
            String length = exchange.getRequestHeaders().getFirst("Content-Length");
            if (length != null && Responses.parseLength(length) > maxRequestBody) {
                exchange.getResponseHeaders().set("Connection", "close");
                Responses.sendJson(exchange, 413, Map.of("error", "request body larger than " + maxRequestBody
                        + " bytes"), false);
                return;
            }
            try {
                exchange.limitRequestBody(maxRequestBody);
                handler.handle(exchange);
            } catch (DrainingExchange.BodyTooLargeException e) {
                exchange.getResponseHeaders().set("Connection", "close");
                Responses.sendJson(exchange, 413, Map.of("error", e.getMessage()), false);
            } catch (IOException | RuntimeException e) {
                failed(server, exchange, e);
            }
        }
    }

    private static void failed(DrainingHttpServer server, DrainingExchange exchange, Exception e) {
        Scope<?, ?> current = Scope.current();
        if (current.isCancelled()) {
            if (exchange.getResponseCode() == -1) {
                server.requestCancelled(); // a response already sent is not a cancelled request
            }
            CancelReason why = current.cancelReason().orElseThrow();
            LOG.info("request {} {} cancelled: {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                    why.describe());
            // The socket is an interruptible channel: writing with the interrupt status set would
            // close it (ClosedByInterruptException). A shield clears the status for the write and
            // restores it after. The reason stays in the log: it can hold a failure's text.
            Responses.shielded(() -> Responses.sendJson(exchange, 503, Map.of("error", "request cancelled: the"
                    + " service is shutting down"), true));
        } else if (exchange.clientFailed()) {
            // the client went away (reset, broken pipe) or sent a broken body: not a server bug, and
            // any client can cause it, so one line at DEBUG
            LOG.debug("{} {} from {} ended early, on the client's side: {}", exchange.getRequestMethod(),
                    exchange.getRequestURI(), exchange.getRemoteAddress(), e.toString());
        } else {
            // a server bug: logged once, with its stack trace; the client learns nothing of it
            LOG.error("handler for {} {} failed; answered 500", exchange.getRequestMethod(),
                    exchange.getRequestURI(), e);
            Responses.sendJson(exchange, 500, Map.of("error", "internal server error"), false);
        }
    }
}
