package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /health/live} and {@code /health/ready}: 200, or for readiness 503 with {@code Retry-After} once the
 * shutdown's readiness is not SERVING; the JSON body shows the state, the phase, the in-flight count and the
 * remaining budget. A probe is not a request: it is not counted as work to drain.
 */
record HealthHandler(Shutdown shutdown, boolean readinessProbe, Duration retryAfter) implements HttpHandler {

    @Override
    public void handle(HttpExchange exchange) {
        try (exchange) {
            Readiness.State state = shutdown.readiness().get();
            // a probe is not kept alive once the shutdown has begun (routes are, until the drain: see goAway)
            if (shutdown.isShuttingDown() || state.compareTo(Readiness.State.DRAINING) >= 0) {
                exchange.getResponseHeaders().set("Connection", "close");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", state.name());
            body.put("phase", shutdown.phase().map(Enum::name).orElse("NONE"));
            body.put("inFlight", shutdown.inFlight().inFlight());
            body.put("remainingMillis", shutdown.remaining().toMillis());
            int status = !readinessProbe || state == Readiness.State.SERVING ? 200 : 503;
            if (status == 503) {
                exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
            }
            Responses.sendJson(exchange, status, body, false);
        }
    }
}
