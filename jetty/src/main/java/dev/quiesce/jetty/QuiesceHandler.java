package dev.quiesce.jetty;

import dev.quiesce.shutdown.HandoffScope;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The handler Quiesce puts first in a Jetty server's tree: it serves the health endpoints itself (they follow the
 * shutdown's readiness and are not work), counts every other request from the moment it reaches the
 * application's handler, and hands it to the shutdown's scope tree ({@link HandoffScope}), where the application's
 * handler runs in a virtual thread {@code /<shutdown>/http/req-N} that a Quiesce cancel interrupts. It never
 * blocks, so Jetty may call it on any thread.
 *
 * <p>Thread-safe.
 */
final class QuiesceHandler extends Handler.Wrapper {
    private final Shutdown shutdown;
    private final JettyIngress ingress;
    private final HandoffScope<Exchange> scope;
    private final String livePath;
    private final String readyPath;
    private final Duration retryAfter;

    /** Health on {@code paths[0]} (liveness) and {@code paths[1]} (readiness); none on a null path. */
    QuiesceHandler(Shutdown shutdown, JettyIngress ingress, HandoffScope<Exchange> scope, String[] paths, Duration retryAfter) {
        this.shutdown = shutdown;
        this.ingress = ingress;
        this.scope = scope;
        this.livePath = paths[0];
        this.readyPath = paths[1];
        this.retryAfter = retryAfter;
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // it only counts and hands over: the application's handler runs elsewhere
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        if (path.equals(livePath) || path.equals(readyPath)) { // none when they are null (QuiesceJetty.prepare)
            health(request, response, callback, path.equals(readyPath));
            return true;
        }
        Handler next = getHandler();
        if (next == null) {
            return false;
        }
        scope.submit(new Exchange(ingress, next, request, response, callback));
        return true;
    }

    /** Whether the exchange is HTTP/1.x, the only protocol where a {@code Connection} header means something. */
    static boolean http1(Request request) {
        HttpVersion v = request.getConnectionMetaData().getHttpVersion();
        return v == HttpVersion.HTTP_1_1 || v == HttpVersion.HTTP_1_0;
    }

    private void health(Request request, Response response, Callback callback, boolean readinessProbe) {
        Readiness.State state = shutdown.readiness().get();
        // a probe is not kept alive once the shutdown has begun (routes are, until the drain: see goAway)
        if (http1(request) && (ingress.goingAway() || shutdown.isShuttingDown()
                || state.compareTo(Readiness.State.DRAINING) >= 0)) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        int status = !readinessProbe || state == Readiness.State.SERVING ? 200 : 503;
        if (status == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
        }
        long inFlight = shutdown.inFlight().inFlight(); // each request is counted there too (JettyIngress.Tickets)
        String phase = shutdown.phase().map(Enum::name).orElse("NONE");
        // the same body as the JDK adapter's: only enum names and numbers, nothing to escape
        String json = "{\"status\":\"" + state.name() + "\",\"phase\":\"" + phase + "\",\"inFlight\":" + inFlight
                + ",\"remainingMillis\":" + shutdown.remaining().toMillis() + "}";
        writeJson(request, response, callback, status, json);
    }

    /** Answers {@code status} with a small JSON body (none for HEAD), completing {@code callback}. */
    static void writeJson(Request request, Response response, Callback callback, int status, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        boolean head = HttpMethod.HEAD.is(request.getMethod());
        response.write(true, head ? null : ByteBuffer.wrap(bytes), callback);
    }
}
