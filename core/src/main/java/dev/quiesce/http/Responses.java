package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import dev.quiesce.Shield;
import dev.quiesce.internal.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The small responses the server writes itself (health, 404, 413, 500, 503) and the rules they share. */
final class Responses {
    private static final Logger LOG = LoggerFactory.getLogger(DrainingHttpServer.class);

    private Responses() {}

    /** Runs {@code r} with the interrupt status cleared (a write to an interruptible channel would close it). */
    static void shielded(Runnable r) {
        try {
            Shield.run(Duration.ofSeconds(1), r::run);
        } catch (Exception e) {
            LOG.debug("could not answer a cancelled request", e);
        }
    }

    static long parseLength(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1; // the JDK server rejects a malformed Content-Length before we see it
        }
    }

    /**
     * The length to hand to the JDK's {@code sendResponseHeaders}. For HEAD it must be -1 (no body; any other
     * value logs a JDK warning per request and the body write fails), and the length a GET would have had is
     * sent as {@code Content-Length}, the header a GET would carry; 1xx, 204 and 304 never have a body.
     */
    static long bodyLength(HttpExchange exchange, int status, long length) {
        if ("HEAD".equalsIgnoreCase(exchange.getRequestMethod())) {
            if (length > 0 && exchange.getResponseHeaders().getFirst("Content-Length") == null) {
                exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
            }
            return -1;
        }
        return (status >= 100 && status < 200) || status == 204 || status == 304 ? -1 : length;
    }

    /** Sends a small JSON response if the response has not started; otherwise does nothing. */
    static void sendJson(HttpExchange exchange, int status, Map<String, ?> body, boolean retryLater) {
        if (exchange.getResponseCode() != -1) {
            return; // headers already sent: nothing sensible can be added
        }
        if (retryLater) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        sendJson(exchange, status, toJson(body));
    }

    /** Sends {@code json} (a rendered JSON document) if the response has not started; otherwise does nothing. */
    static void sendJson(HttpExchange exchange, int status, String json) {
        if (exchange.getResponseCode() != -1) {
            return;
        }
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        try {
            long length = bodyLength(exchange, status, bytes.length);
            exchange.sendResponseHeaders(status, length);
            try (OutputStream out = exchange.getResponseBody()) {
                if (length != -1) {
                    out.write(bytes);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not send {} to {} (it went away): {}", status, exchange.getRemoteAddress(), e.toString());
        }
    }

    static String toJson(Map<String, ?> body) {
        var sb = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, ?> e : body.entrySet()) {
            sb.append(first ? "" : ",").append(Json.quote(e.getKey())).append(':');
            Object v = e.getValue();
            sb.append(v instanceof Number || v instanceof Boolean ? v.toString() : Json.quote(String.valueOf(v)));
            first = false;
        }
        return sb.append('}').toString();
    }
}
