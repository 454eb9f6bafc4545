package dev.quiesce.jetty;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.HandoffScope;
import dev.quiesce.shutdown.IngressCounts;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request that reached the application's handler: counted in flight from its creation until Jetty's callback
 * completes (the response was sent, or failed), whichever thread completes it. {@link #run()} calls the
 * application's handler in the request's scope thread; {@link #reject()} answers 503 when no such thread can be
 * had (the scope was cancelled or has closed).
 *
 * <p>Failures: a handler that throws while its scope is cancelled was cancelled: the client gets 503 (counted
 * cancelled) if the response has not started. Otherwise it is a server bug: logged once, at ERROR, and the client
 * gets a 500 with {@code {"error":"internal server error"}}, never the exception's text.
 */
final class Exchange implements Callback, HandoffScope.Work {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    private final JettyIngress ingress;
    private final Handler handler;
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final IngressCounts.Ticket ticket;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean cancelled;
    /** The request's scope, once its thread runs: a 503 answered once it is cancelled is a cancelled request. */
    private volatile Scope<?, ?> scope;

    Exchange(JettyIngress ingress, Handler handler, Request request, Response response, Callback callback) {
        this.ingress = ingress;
        this.handler = handler;
        this.request = request;
        this.response = QuiesceHandler.http1(request) ? new Goodbye(request, response, ingress) : response;
        this.callback = callback;
        this.ticket = ingress.counts().accept();
    }

    /** In the request's scope thread: the application's handler. */
    @Override
    public void run() {
        scope = Scope.current();
        try {
            if (!handler.handle(request, response, this)) {
                answer(404, "{\"error\":\"no route for " + jsonSafe(Request.getPathInContext(request)) + "\"}");
            }
        } catch (Throwable x) {
            if (x instanceof InterruptedException || Scope.current().isCancelled()) {
                Thread.interrupted(); // the 503 is written by Jetty's threads; this one ends here
                LOG.info("request {} {} cancelled: {}", request.getMethod(), request.getHttpURI().getPath(),
                        Scope.current().cancelReason().map(r -> r.describe()).orElse("interrupted"));
                cancel();
            } else if (ended.get()) {
                LOG.error("handler for {} {} failed after completing its response", request.getMethod(),
                        request.getHttpURI().getPath(), x);
            } else {
                LOG.error("handler for {} {} failed; answered 500", request.getMethod(), request.getHttpURI().getPath(),
                        x);
                answer(500, "{\"error\":\"internal server error\"}");
            }
        }
    }

    /** Answers 503 without the application's handler: the server is shutting down. Counted as cancelled. */
    @Override
    public void reject() {
        cancel();
    }

    private void cancel() {
        if (response.isCommitted()) {
            failed(new java.util.concurrent.CancellationException("request cancelled: the service is shutting down"));
            return;
        }
        cancelled = true;
        response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        if (QuiesceHandler.http1(request)) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        answer(503, "{\"error\":\"request cancelled: the service is shutting down\"}");
    }

    private void answer(int status, String json) {
        if (ended.get()) {
            return;
        }
        if (response.isCommitted()) {
            failed(new IllegalStateException("answered " + status + " after the response started"));
            return;
        }
        QuiesceHandler.writeJson(request, response, this, status, json);
    }

    /**
     * An HTTP/1.1 response that says {@code Connection: close} if it commits once the ingress is going away: a
     * request in flight at {@code goAway()} tells its client to leave with its own response. The adapter's goodbye,
     * not Jetty's connector shutdown, which also closes a kept-alive connection whose next request is already on
     * its way (the client sees an empty reply).
     */
    private static final class Goodbye extends Response.Wrapper {
        private final JettyIngress ingress;

        Goodbye(Request request, Response wrapped, JettyIngress ingress) {
            super(request, wrapped);
            this.ingress = ingress;
        }

        void sayIt() {
            if (ingress.goingAway() && !isCommitted()) {
                getHeaders().put(HttpHeader.CONNECTION, "close");
            }
        }

        @Override
        public void write(boolean last, java.nio.ByteBuffer content, Callback callback) {
            sayIt();
            super.write(last, content, callback);
        }
    }

    @Override
    public void succeeded() {
        if (response instanceof Goodbye g) {
            g.sayIt(); // a response without a body commits when the exchange succeeds
        }
        Scope<?, ?> s = scope;
        if (s != null && s.isCancelled() && response.getStatus() == 503) {
            // answered 503 for its cancel by what the handler wraps (a servlet container turns the handler's
            // exception into its own error response, which this exchange never sees)
            cancelled = true;
        }
        if (ended.compareAndSet(false, true)) {
            try {
                callback.succeeded(); // Jetty completes the exchange first: the drain must not see it ended before
            } finally {
                ingress.counts().end(ticket, cancelled);
            }
        }
    }

    @Override
    public void failed(Throwable x) {
        if (ended.compareAndSet(false, true)) {
            try {
                callback.failed(x);
            } finally {
                ingress.counts().end(ticket, cancelled);
            }
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return callback.getInvocationType();
    }


    private static String jsonSafe(String s) {
        var sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\' || c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
