package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Shield;
import dev.quiesce.internal.Json;
import dev.quiesce.internal.ScopeImpl;
import dev.quiesce.internal.SubtaskImpl;
import dev.quiesce.internal.Uninterruptibles;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK's built-in {@link HttpServer}, made to drain: every exchange runs in its own virtual thread
 * in the scope {@code /<shutdown>/http} (thread {@code /shutdown/http/req-42}); each request that reaches
 * a handler is counted by the shutdown's {@linkplain Shutdown#inFlight() in-flight tracker} (health probes
 * and connections that close without a request are not requests); health endpoints follow the shutdown's
 * readiness; once draining, every response carries {@code Connection: close}, so keep-alive clients
 * move to another replica instead of sending more requests into a closing server.
 *
 * <pre>{@code
 * var shutdown = Shutdown.builder().preDrainDelay(Duration.ofSeconds(5)).start();
 * var server = DrainingHttpServer.builder(shutdown)
 *         .port(8080)
 *         .route("/work", exchange -> { ... })
 *         .start();
 * shutdown.markReady();
 * }</pre>
 *
 * <h2>In the shutdown sequence</h2>
 * <ul>
 *   <li>READINESS: {@code /health/ready} answers 503 with a JSON body (phase, in-flight count,
 *       remaining budget) and {@code Retry-After}; {@code /health/live} stays 200; responses carry
 *       {@code Connection: close}.
 *   <li>STOP_ACCEPTING: the listening socket is closed, so new connections are refused at once;
 *       exchanges in flight, and requests arriving on connections already open, are still served.
 *   <li>DRAIN: the exchanges are counted down (from the moment the JDK hands a connection over, so a
 *       request being read is not cut off); when none is left the server is stopped at once
 *       ({@code stop(0)}), not after the JDK's own stop delay.
 *   <li>CANCEL: a handler still running at the end of the grace period is interrupted (its scope is
 *       cancelled with the shutdown's reason); if it has not responded, the client gets a 503.
 * </ul>
 *
 * <p>A handler can read its deadline with {@link #untilCancel()} and the cancellation reason with
 * {@code Scope.current().cancelReason()}. Request bodies larger than {@link Builder#maxRequestBody} are
 * refused with 413 before they are read.
 *
 * <p>On the module path, an application that uses this class declares {@code requires jdk.httpserver;}
 * ({@code dev.quiesce} requires it only statically, so applications without HTTP need not have it).
 *
 * <p>Thread-safe.
 */
public final class DrainingHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(DrainingHttpServer.class);

    /** The exchange the current thread serves, so that handlers can mark it as work and probes uncount it. */
    private static final ThreadLocal<Served> SERVED = new ThreadLocal<>();

    /**
     * One exchange handed to the executor. The JDK's server hands a connection over as soon as it is
     * readable (a new one, or an idle keep-alive one), before it has read a request: one that closes without
     * a request (a connect-only probe, the server's own stop-accepting probe, a client dropping an idle
     * connection) or whose request the JDK rejects itself (400) must still end before the server stops, but
     * is not a request. So the exchange is counted in the server's own tracker from the hand-over (the
     * drain waits for it), and in the shutdown's tracker, which the report counts, only from the moment a
     * request reaches a handler.
     */
    private static final class Served {
        final InFlightTracker.Ticket exchange;
        volatile InFlightTracker.Ticket request;

        Served(InFlightTracker.Ticket exchange) {
            this.exchange = exchange;
        }

        /** Called when a request reaches a handler (health probes excepted): from now on it is work to drain. */
        void requestStarted(InFlightTracker requests) {
            if (request == null) {
                request = requests.enter();
            }
        }

        void ended() {
            var r = request;
            if (r != null) {
                r.close(); // before the exchange: when no exchange is left, no request is either
            }
            exchange.close();
        }
    }

    private final Shutdown shutdown;
    private final HttpServer server;
    /** Every exchange handed to the executor, request or not; see {@link Served}. */
    private final InFlightTracker exchanges = new InFlightTracker();
    private final long maxRequestBody;
    private final Duration retryAfter;
    private final AtomicLong requestSeq = new AtomicLong();
    private final CountDownLatch scopeOpened = new CountDownLatch(1);
    private final CountDownLatch listenerClosed = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile ScopeImpl<Object, Void> scope;
    private volatile int stopDelaySeconds;
    private volatile InetSocketAddress probe;
    /** Made at start, not in the stop phase: a lambda's first evaluation links a call site (ms on a cold JVM). */
    private final Runnable stopWithDelay;

    private DrainingHttpServer(Shutdown shutdown, HttpServer server, long maxRequestBody, Duration retryAfter) {
        this.shutdown = shutdown;
        this.server = server;
        this.maxRequestBody = maxRequestBody;
        this.retryAfter = retryAfter;
        this.stopWithDelay = () -> {
            server.stop(stopDelaySeconds);
            stopped.countDown();
        };
    }

    /** A builder for a server that drains with {@code shutdown}. */
    public static Builder builder(Shutdown shutdown) {
        return new Builder(Objects.requireNonNull(shutdown, "shutdown"));
    }

    /** The address the server listens on (with the actual port when port 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The port the server listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Time left before a request still running is cancelled; empty while the service is not shutting down. */
    public Duration untilCancel() {
        return shutdown.untilCancel().orElse(Duration.ofSeconds(Long.MAX_VALUE));
    }

    // ------------------------------------------------------------------ lifecycle

    private DrainingHttpServer start() {
        server.setExecutor(new ExchangeExecutor());
        // A shutdown that starts while this server starts (a SIGTERM during start-up) wins: the service may
        // never run, or the stop-accepting phase may be past; then the server is closed, not left listening.
        var service = shutdown.fork("http-server", this::serve);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    if (scopeOpened.await(10, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true; // restored below, as Uninterruptibles.await does
                    continue;
                }
                if (service.state() != dev.quiesce.Subtask.State.UNAVAILABLE) { // it ended without opening its scope
                    throw new IllegalStateException("the shutdown has already started: start the server before it");
                }
            }
            shutdown.onStopAccepting("http", this::stopAccepting);
        } catch (IllegalStateException shutdownStarted) {
            stopNow();
            throw new IllegalStateException("the shutdown started while the HTTP server on " + server.getAddress()
                    + " was starting: the server is closed, not started; stop the start-up when "
                    + "Shutdown.isShuttingDown() is true", shutdownStarted);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        server.start();
        probe = new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
        // One probe now: it loads and links the socket code stopAccepting() uses after SIGTERM (measured: several
        // ms of class loading on a cold JVM), and checks that the listener accepts.
        if (!acceptsConnections(probe)) {
            LOG.warn("HTTP server on {} did not accept a connection from {} right after it started", server.getAddress(),
                    probe);
        }
        LOG.info("HTTP server listening on {}", server.getAddress());
        return this;
    }

    /** The service that owns the exchanges' scope: it ends when the last exchange has ended. */
    private void serve() throws InterruptedException {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("http"))) {
            scope = (ScopeImpl<Object, Void>) s;
            scopeOpened.countDown();
            try {
                listenerClosed.await(); // stop accepting: the DRAIN phase starts right after
                // exchanges in flight, and requests on connections already open, are still served
                exchanges.awaitIdle(Duration.ofDays(1)); // interrupted by the CANCEL phase
            } catch (InterruptedException e) {
                // CANCEL: the exchanges were interrupted too and are answering 503; let them write it
                // (briefly, ignoring further interrupts) before every connection is closed
                awaitIdleUninterruptibly(Duration.ofMillis(500));
                throw e;
            } finally {
                stopNow();
            }
            s.join();
        }
    }

    private void awaitIdleUninterruptibly(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        boolean interrupted = false;
        for (;;) {
            try {
                exchanges.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** STOP_ACCEPTING: closes the listening socket; returns once it is closed. */
    private void stopAccepting() throws InterruptedException {
        // HttpServer.stop(delay) closes the listening socket first, then waits for exchanges up to the delay
        // (and sometimes for all of it). It runs on its own thread; Quiesce's tracker decides when the
        // drain is over and stopNow() then ends it.
        stopDelaySeconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, shutdown.remaining().toSeconds()));
        Thread stopper = Thread.ofPlatform().name("quiesce-http-stop").daemon(true).start(stopWithDelay);
        // Return only once a new connection is refused: that is what this phase promises.
        while (stopper.isAlive() && acceptsConnections(probe)) {
            Thread.sleep(1);
        }
        listenerClosed.countDown();
        LOG.info("HTTP server stopped accepting on {}", server.getAddress());
    }

    private static boolean acceptsConnections(InetSocketAddress address) {
        // NO_PROXY: a plain socket, without the SOCKS wrapper and the proxy selector (which reads net.properties)
        try (var socket = new java.net.Socket(java.net.Proxy.NO_PROXY)) {
            socket.connect(address, 100);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    /** Closes every connection now; used once the exchanges have drained or been cancelled. */
    private void stopNow() {
        listenerClosed.countDown();
        server.stop(0);
        stopped.countDown();
    }

    // ------------------------------------------------------------------ exchanges

    /** Runs each exchange in its own virtual thread in the http scope, counted from the moment it is handed over. */
    private final class ExchangeExecutor implements Executor {
        @Override
        public void execute(Runnable exchange) {
            var served = new Served(exchanges.enter());
            Runnable counted = () -> {
                SERVED.set(served);
                try {
                    exchange.run();
                } finally {
                    SERVED.remove();
                    served.ended();
                }
            };
            ScopeImpl<Object, Void> s = scope;
            try {
                if (s != null && !s.isCancelled()) {
                    var sub = s.forkService("req-" + requestSeq.incrementAndGet(), () -> {
                        counted.run();
                        return null;
                    });
                    if (sub.state() != dev.quiesce.Subtask.State.CANCELLED) {
                        return;
                    }
                }
            } catch (IllegalStateException closed) {
                // the scope has closed: fall through and answer outside it
            }
            // Never drop an exchange: outside the scope, the handler answers 503 at once (see Wrapper).
            Thread.ofVirtual().name("quiesce-http-late").start(counted);
        }
    }

    private boolean draining() {
        return shutdown.isShuttingDown() || shutdown.readiness().get().compareTo(Readiness.State.DRAINING) >= 0;
    }

    /** Wraps every handler: Connection: close once draining, body limit, 503 when cancelled or too late. */
    private final class Wrapper implements HttpHandler {
        private final HttpHandler handler;

        Wrapper(HttpHandler handler) {
            this.handler = handler;
        }

        @Override
        public void handle(HttpExchange original) throws IOException {
            // decides Connection: close when the response starts, not when the request arrived: a request
            // already running when the drain begins must also tell its client to reconnect elsewhere
            Served served = SERVED.get();
            if (served != null) {
                served.requestStarted(shutdown.inFlight());
            }
            HttpExchange exchange = new DrainingExchange(original);
            try (exchange) {
                if (SubtaskImpl.current() == null) { // not in the http scope: the server is stopping
                    sendJson(exchange, 503, Map.of("error", "server is shutting down"), true);
                    return;
                }
                String length = exchange.getRequestHeaders().getFirst("Content-Length");
                if (length != null && parseLength(length) > maxRequestBody) {
                    exchange.getResponseHeaders().set("Connection", "close");
                    sendJson(exchange, 413, Map.of("error", "request body larger than " + maxRequestBody + " bytes"),
                            false);
                    return;
                }
                try {
                    exchange.setStreams(new LimitedInputStream(exchange.getRequestBody(), maxRequestBody), null);
                    handler.handle(exchange);
                } catch (BodyTooLargeException e) {
                    exchange.getResponseHeaders().set("Connection", "close");
                    sendJson(exchange, 413, Map.of("error", e.getMessage()), false);
                } catch (IOException | RuntimeException e) {
                    Scope<?, ?> current = Scope.current();
                    if (current.isCancelled()) {
                        CancelReason why = current.cancelReason().orElseThrow();
                        LOG.info("request {} {} cancelled: {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                                why.describe());
                        // The socket is an interruptible channel: writing with the interrupt status set would
                        // close it (ClosedByInterruptException). A shield clears the status for the write and
                        // restores it after.
                        shielded(() -> sendJson(exchange, 503, Map.of("error", "request cancelled: "
                                + why.describe()), true));
                    } else {
                        LOG.warn("handler for {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                        sendJson(exchange, 500, Map.of("error", String.valueOf(e)), false);
                    }
                }
            }
        }
    }

    /** An exchange that adds {@code Connection: close} to its response if the server drains by then. */
    private final class DrainingExchange extends HttpExchange {
        private final HttpExchange delegate;

        DrainingExchange(HttpExchange delegate) {
            this.delegate = delegate;
        }

        @Override
        public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
            if (draining()) {
                delegate.getResponseHeaders().set("Connection", "close");
            }
            delegate.sendResponseHeaders(rCode, responseLength);
        }

        @Override
        public com.sun.net.httpserver.Headers getRequestHeaders() {
            return delegate.getRequestHeaders();
        }

        @Override
        public com.sun.net.httpserver.Headers getResponseHeaders() {
            return delegate.getResponseHeaders();
        }

        @Override
        public java.net.URI getRequestURI() {
            return delegate.getRequestURI();
        }

        @Override
        public String getRequestMethod() {
            return delegate.getRequestMethod();
        }

        @Override
        public com.sun.net.httpserver.HttpContext getHttpContext() {
            return delegate.getHttpContext();
        }

        @Override
        public void close() {
            delegate.close();
        }

        @Override
        public InputStream getRequestBody() {
            return delegate.getRequestBody();
        }

        @Override
        public OutputStream getResponseBody() {
            return delegate.getResponseBody();
        }

        @Override
        public InetSocketAddress getRemoteAddress() {
            return delegate.getRemoteAddress();
        }

        @Override
        public int getResponseCode() {
            return delegate.getResponseCode();
        }

        @Override
        public InetSocketAddress getLocalAddress() {
            return delegate.getLocalAddress();
        }

        @Override
        public String getProtocol() {
            return delegate.getProtocol();
        }

        @Override
        public Object getAttribute(String name) {
            return delegate.getAttribute(name);
        }

        @Override
        public void setAttribute(String name, Object value) {
            delegate.setAttribute(name, value);
        }

        @Override
        public void setStreams(InputStream i, OutputStream o) {
            delegate.setStreams(i, o);
        }

        @Override
        public com.sun.net.httpserver.HttpPrincipal getPrincipal() {
            return delegate.getPrincipal();
        }
    }

    private static void shielded(Runnable r) {
        try {
            Shield.run(Duration.ofSeconds(1), r::run);
        } catch (Exception e) {
            LOG.debug("could not answer a cancelled request", e);
        }
    }

    private static long parseLength(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1; // the JDK server rejects a malformed Content-Length before we see it
        }
    }

    /** Sends a small JSON response if the response has not started; otherwise does nothing. */
    static void sendJson(HttpExchange exchange, int status, Map<String, ?> body, boolean retryLater) {
        if (exchange.getResponseCode() != -1) {
            return; // headers already sent: nothing sensible can be added
        }
        byte[] bytes = toJson(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryLater) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        try {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            LOG.debug("could not send {} to the client (it went away)", status, e);
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

    // ------------------------------------------------------------------ health

    private final class Health implements HttpHandler {
        private final boolean readinessProbe;

        Health(boolean readinessProbe) {
            this.readinessProbe = readinessProbe;
        }

        @Override
        public void handle(HttpExchange exchange) {
            try (exchange) {
                if (draining()) {
                    exchange.getResponseHeaders().set("Connection", "close");
                }
                Readiness.State state = shutdown.readiness().get();
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", state.name());
                body.put("phase", shutdown.phase().map(Enum::name).orElse("NONE"));
                body.put("inFlight", shutdown.inFlight().inFlight());
                body.put("remainingMillis", shutdown.remaining().toMillis());
                int status = !readinessProbe || state == Readiness.State.SERVING ? 200 : 503;
                if (status == 503) {
                    exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
                }
                sendJson(exchange, status, body, false);
            }
        }
    }

    // ------------------------------------------------------------------ request body limit

    /** Thrown by a request body stream that exceeds the limit. */
    static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(long limit) {
            super("request body larger than " + limit + " bytes");
        }
    }

    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private final long limit;
        private long read;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && ++read > limit) {
                throw new BodyTooLargeException(limit);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && (read += n) > limit) {
                throw new BodyTooLargeException(limit);
            }
            return n;
        }
    }

    /**
     * Configures a {@link DrainingHttpServer}. Not thread-safe; use it from one thread.
     */
    public static final class Builder {
        private final Shutdown shutdown;
        private InetSocketAddress address = new InetSocketAddress("127.0.0.1", 0);
        private int backlog = 1024;
        private long maxRequestBody = 1 << 20;
        private Duration retryAfter = Duration.ofSeconds(1);
        private String livePath = "/health/live";
        private String readyPath = "/health/ready";
        private final Map<String, HttpHandler> routes = new LinkedHashMap<>();

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
        }

        /** Listens on {@code 127.0.0.1:port} (0 picks a free port). */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not in 0..65535; use 0 for any free port");
            }
            this.address = new InetSocketAddress("127.0.0.1", port);
            return this;
        }

        /** Listens on {@code address} (e.g. {@code new InetSocketAddress(8080)} for every interface). */
        public Builder address(InetSocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The listen backlog (default 1024): connections the kernel queues before the server accepts them. */
        public Builder backlog(int backlog) {
            if (backlog < 1) {
                throw new IllegalArgumentException("backlog must be at least 1, was " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /** Request bodies larger than this are refused with 413 (default 1 MiB). */
        public Builder maxRequestBody(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxRequestBody must not be negative, was " + bytes);
            }
            this.maxRequestBody = bytes;
            return this;
        }

        /** The {@code Retry-After} a draining readiness probe answers with (default 1 s). */
        public Builder retryAfter(Duration d) {
            Objects.requireNonNull(d, "retryAfter");
            if (d.isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative");
            }
            this.retryAfter = d;
            return this;
        }

        /** Paths of the liveness and readiness endpoints (default {@code /health/live}, {@code /health/ready}). */
        public Builder healthPaths(String live, String ready) {
            this.livePath = requirePath(live);
            this.readyPath = requirePath(ready);
            return this;
        }

        /** Serves {@code handler} under {@code path} (a prefix, as in {@link HttpServer#createContext}). */
        public Builder route(String path, HttpHandler handler) {
            requirePath(path);
            Objects.requireNonNull(handler, "handler");
            if (routes.putIfAbsent(path, handler) != null) {
                throw new IllegalArgumentException("a handler for " + path + " is already registered");
            }
            return this;
        }

        private static String requirePath(String p) {
            Objects.requireNonNull(p, "path");
            if (!p.startsWith("/")) {
                throw new IllegalArgumentException("path '" + p + "' must start with '/'");
            }
            return p;
        }

        /**
         * Binds the server, registers it with the shutdown (a service, a stop-accepting listener, the
         * in-flight tracker) and starts accepting.
         *
         * @throws IOException if the address cannot be bound (e.g. {@code BindException: Address already in use})
         * @throws IllegalStateException if the shutdown has already started
         */
        public DrainingHttpServer start() throws IOException {
            if (shutdown.isShuttingDown()) {
                throw new IllegalStateException("the shutdown has already started: start the server before it");
            }
            HttpServer server = HttpServer.create(address, backlog);
            var s = new DrainingHttpServer(shutdown, server, maxRequestBody, retryAfter);
            server.createContext(livePath, s.new Health(false));
            server.createContext(readyPath, s.new Health(true));
            for (Map.Entry<String, HttpHandler> r : routes.entrySet()) {
                server.createContext(r.getKey(), s.new Wrapper(r.getValue()));
            }
            if (!routes.containsKey("/")) {
                server.createContext("/", s.new Wrapper(ex -> sendJson(ex, 404, Map.of("error", "no route for "
                        + ex.getRequestURI().getPath()), false)));
            }
            return s.start();
        }
    }
}
