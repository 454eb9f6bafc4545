package dev.quiesce.http;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK's built-in {@link HttpServer}, made to drain: every exchange runs in its own virtual thread
 * in the scope {@code /<shutdown>/http} (thread {@code /shutdown/http/req-42}); each request that reaches
 * a handler is counted by the shutdown's {@linkplain Shutdown#inFlight() in-flight tracker} (health probes
 * and connections that close without a request are not requests); health endpoints follow the shutdown's
 * readiness; once its listener has closed, every response carries {@code Connection: close}, so keep-alive clients
 * move to another replica instead of sending more requests into a closing server.
 *
 * {@snippet class=dev.quiesce.snippets.HttpSnippets region=draining-http-server}
 *
 * <h2>In the shutdown sequence</h2>
 * <ul>
 *   <li>READINESS: {@code /health/ready} answers 503 with a JSON body (phase, in-flight count,
 *       remaining budget), {@code Retry-After} and {@code Connection: close}; {@code /health/live} stays 200.
 *       Other responses stay keep-alive during the pre-drain delay: closing every connection then would make
 *       each client that ignores readiness reconnect on every request, and the connections queued in the
 *       kernel when the listener closes are reset.
 *   <li>STOP_ACCEPTING: the listening socket is closed, so new connections are refused at once;
 *       exchanges in flight, and requests arriving on connections already open, are still served. From
 *       here on every response carries {@code Connection: close}.
 *   <li>DRAIN: the exchanges are counted down (from the moment the JDK hands a connection over, so a
 *       request being read is not cut off); a connection that has not delivered a complete request head
 *       within {@link Builder#requestHeadTimeout} is closed (it holds no request); a connection accepted just
 *       before the close gets {@link Builder#closeGrace} to send its request; when none is left the server is
 *       stopped at once ({@code stop(0)}), not after the JDK's own stop delay, and idle connections are closed.
 *   <li>CANCEL: a handler still running at the end of the grace period is interrupted (its scope is
 *       cancelled with the shutdown's reason); if it has not responded, the client gets a 503.
 * </ul>
 *
 * <p>A handler can read its deadline with {@link #untilCancel()} and the cancellation reason with
 * {@code Scope.current().cancelReason()}. Request bodies larger than {@link Builder#maxRequestBody} are
 * refused with 413 before they are read.
 *
 * <p>Failures: a handler that throws is a server bug: it is logged once, at ERROR, with its stack trace, and
 * the client gets a 500 with {@code {"error":"internal server error"}}, never the exception's text. A
 * failure on the client's side (it reset the connection, went away mid-response, sent a broken body) is
 * logged as one line at DEBUG. {@code HEAD} is answered for every route and health endpoint with the
 * status and headers a {@code GET} would get and no body (handlers written for {@code GET} need no change).
 *
 * <p>On the module path, an application that uses this class declares {@code requires jdk.httpserver;}
 * ({@code dev.quiesce} requires it only statically, so applications without HTTP need not have it).
 *
 * <p>Thread-safe.
 */
public final class DrainingHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(DrainingHttpServer.class);

    private final Shutdown shutdown;
    private final String name;
    private final HttpListener listener;
    private final HttpIngress ingress = new HttpIngress(this);
    /** Every exchange handed to the executor, request or not; see {@link ExchangeExecutor}. */
    private final InFlightTracker exchanges = new InFlightTracker();
    /** The requests that reached a handler on this server (health probes excepted). */
    private final InFlightTracker requests = new InFlightTracker();
    private final LongAdder cancelled = new LongAdder();
    private final CountDownLatch scopeOpened = new CountDownLatch(1);
    private final long requestHeadTimeoutNanos;
    private final long closeGraceNanos;
    private volatile ExchangeExecutor executor;
    private volatile EngineScope<Object, Void> scope;
    /** System.nanoTime() when the listener closed, and when goAway was called; 0 until then. */
    private volatile long listenerClosedNanos;
    private volatile long goAwayNanos;
    private volatile long completedAtClose;

    private DrainingHttpServer(Shutdown shutdown, String name, HttpServer server, Duration requestHeadTimeout,
            Duration closeGrace) {
        this.shutdown = shutdown;
        this.name = name;
        this.listener = new HttpListener(server);
        this.requestHeadTimeoutNanos = requestHeadTimeout.toNanos();
        this.closeGraceNanos = closeGrace.toNanos();
    }

    /** A builder for a server that drains with {@code shutdown}. */
    public static Builder builder(Shutdown shutdown) {
        return new Builder(Objects.requireNonNull(shutdown, "shutdown"));
    }

    /** The address the server listens on (with the actual port when port 0 was asked for). */
    public InetSocketAddress address() {
        return listener.address();
    }

    /** The port the server listens on. */
    public int port() {
        return listener.address().getPort();
    }

    /** Time left before a request still running is cancelled; empty while the service is not shutting down. */
    public Duration untilCancel() {
        return shutdown.untilCancel().orElse(Duration.ofSeconds(Long.MAX_VALUE));
    }

    /** This server as the shutdown drives it, registered by {@link Builder#start()}; see {@link Ingress}. */
    public Ingress ingress() {
        return ingress;
    }

    // ------------------------------------------------------------------ for the ingress and the tests

    /** The server's name: its ingress's, its scope's ({@code /shutdown/http}) and its service's. */
    String name() {
        return name;
    }

    /** The protocol this server speaks, for the report. */
    String protocol() {
        return "HTTP/1.1";
    }

    /** The requests that reached a handler (health probes and connections without a request excepted). */
    InFlightTracker requests() {
        return requests;
    }

    /** For tests: runs {@code r} on the stopping thread before it calls the JDK's {@code stop} (a slow stop). */
    void beforeJdkStop(Runnable r) {
        listener.beforeJdkStop(r);
    }

    /** Connections the JDK's server has handed over (accepted), requests or not; for tests. */
    long connectionsSeen() {
        return exchanges.entered();
    }

    /**
     * STOP_ACCEPTING: closes the listening socket; returns once a new connection is refused. Then tells the
     * persistent connections to leave ({@link #goAway()}): until now, during the pre-drain delay, they were kept
     * alive, so that clients that ignore readiness did not reconnect on every request and fill the accept
     * queue that the close resets.
     */
    void stopAccepting() throws InterruptedException {
        completedAtClose = requests.completed();
        listener.stopAccepting(shutdown.remaining());
        listenerClosedNanos = System.nanoTime();
        goAway();
    }

    /**
     * Tells persistent connections to leave: from now on every response carries {@code Connection: close}, and
     * a connection that has not delivered a complete request head within the request-head timeout is closed.
     * Idle keep-alive connections are closed when the drain ends (the JDK's server gives no handle on them);
     * they are not work, so they do not hold it. Idempotent.
     */
    void goAway() {
        if (goAwayNanos == 0) {
            goAwayNanos = System.nanoTime() | 1; // never 0
        }
    }

    /** Closes every connection now, whatever it is doing: the end of the grace period. */
    void forceClose() {
        listener.stopNow();
    }

    /** Whether responses now carry {@code Connection: close}: since {@link #goAway()}. */
    boolean draining() {
        return goAwayNanos != 0;
    }

    /** Counts a request cancelled before its response started (answered 503). */
    void requestCancelled() {
        cancelled.increment();
    }

    /** Requests cancelled before their response started; a request whose response was sent is never counted. */
    long cancelled() {
        return cancelled.sum();
    }

    /** Requests completed since the listener closed, cancelled ones excepted. */
    long drained() {
        return listenerClosedNanos == 0 ? 0 : Math.max(0, requests.completed() - completedAtClose - cancelled());
    }

    /** Connections closed, once draining, because they had not sent a complete request head in time. */
    long slowHeadsClosed() {
        ExchangeExecutor e = executor;
        return e == null ? 0 : e.slowHeadsClosed();
    }

    /** The scope the exchanges run in; null until the service has opened it. */
    EngineScope<Object, Void> scope() {
        return scope;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Starts serving. Each step that registers something comes after the steps that can fail before it, and a
     * failure undoes what was done ({@link #abandonStart()}): a server that did not start holds no socket, no
     * thread, and has no stop-accepting listener in the shutdown.
     */
    private DrainingHttpServer start(HttpServer server) {
        executor = new ExchangeExecutor(this, exchanges, requests, shutdown.inFlight());
        executor.closeSlowHeads(System.nanoTime(), requestHeadTimeoutNanos); // links it now, not after the trigger
        server.setExecutor(executor);
        // A shutdown that starts while this server starts (a SIGTERM during start-up) wins: the service may
        // never run (a fork into a shutdown that has begun does not run), or the stop-accepting phase may be
        // past; then the builder undoes the start (abandonStart) and the server is closed, not left listening.
        var service = shutdown.fork(name + "-server", this::serve);
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
                    throw new IllegalStateException("the shutdown started while the HTTP server on "
                            + server.getAddress() + " was starting: the server is closed, not started; stop the "
                            + "start-up when Shutdown.isShuttingDown() is true");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        listener.start();
        // last: it throws if the shutdown has gone past STOP_ACCEPTING meanwhile, and then the server is undone
        try {
            shutdown.ingress(ingress);
        } catch (IllegalArgumentException sameName) {
            throw new IllegalStateException("another server or ingress of this shutdown is named '" + name + "': give"
                    + " each DrainingHttpServer a name of its own with builder(shutdown).name(\"admin\")", sameName);
        }
        LOG.info("HTTP server listening on {}", server.getAddress());
        return this;
    }

    /** Undoes a start that failed: stops the server (releasing its socket and threads) and ends its service. */
    private void abandonStart() {
        listener.abandon(); // also ends the http-server service, if it was forked
    }

    /** Waits until the listener is closed (by {@link #stopAccepting()} or a stop). */
    void awaitListenerClosed() throws InterruptedException {
        listener.awaitClosed();
    }

    /** The service that owns the exchanges' scope: it ends when the last exchange has ended. */
    private void serve() throws InterruptedException {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName(name))) {
            scope = (EngineScope<Object, Void>) s;
            scopeOpened.countDown();
            try {
                listener.awaitClosed(); // stop accepting: the DRAIN phase starts right after
                drainExchanges(); // interrupted by the CANCEL phase
            } catch (InterruptedException e) {
                // CANCEL: the exchanges were interrupted too and are answering 503; let them write it
                // (briefly, ignoring further interrupts) before every connection is closed
                awaitIdleUninterruptibly(Duration.ofMillis(500));
                throw e;
            } finally {
                listener.stopNow();
            }
            s.join();
        }
    }

    /**
     * Waits until no exchange is left, and at least the close grace after the listener closed: a connection the
     * kernel accepted just before the close may not have sent its request yet (the JDK's server hands it over only
     * once readable), and it gets that long to do so. Exchanges in flight, and requests on connections already
     * open, are still served; once draining, an exchange still reading its request head after the request-head
     * timeout is closed, so a slow client does not hold the drain.
     */
    private void drainExchanges() throws InterruptedException {
        long closed = listenerClosedNanos == 0 ? System.nanoTime() : listenerClosedNanos;
        long graceEnd = closed + closeGraceNanos;
        for (;;) {
            long since = goAwayNanos;
            long next = since == 0 ? Long.MAX_VALUE : executor.closeSlowHeads(since, requestHeadTimeoutNanos);
            long now = System.nanoTime();
            boolean idle = exchanges.inFlight() == 0;
            if (idle && now - graceEnd >= 0) {
                return;
            }
            long until = idle ? Math.min(next, graceEnd) : next;
            long wait = Math.max(1_000_000, Math.min(until - now, 1_000_000_000L)); // re-checks at least once a second
            if (idle) {
                Thread.sleep(Duration.ofNanos(wait));
            } else {
                exchanges.awaitIdle(Duration.ofNanos(wait));
            }
        }
    }

    private void awaitIdleUninterruptibly(Duration max) {
        exchanges.awaitIdleUninterruptibly(max);
    }

    /**
     * Configures a {@link DrainingHttpServer}. Not thread-safe; use it from one thread.
     */
    public static final class Builder {
        private final Shutdown shutdown;
        private InetSocketAddress address; // no default: where to listen is a decision, see bind()
        private int backlog = 1024;
        private long maxRequestBody = 1 << 20;
        private Duration retryAfter = Duration.ofSeconds(1);
        private Duration requestHeadTimeout = Duration.ofSeconds(1);
        private Duration closeGrace = Duration.ofMillis(250);
        private String name = "http";
        private String livePath = "/health/live";
        private String readyPath = "/health/ready";
        private final Map<String, HttpHandler> routes = new LinkedHashMap<>();

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
        }

        /**
         * Names the server (default {@code http}): the name of its ingress in the report, of its scope
         * ({@code /shutdown/http}, its request threads {@code /shutdown/http/req-42}) and of its service
         * ({@code http-server}). Two servers of one shutdown (a service port and an admin port) need two names.
         *
         * @throws IllegalArgumentException if the name is blank or contains {@code '/'}
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank() || name.indexOf('/') >= 0) {
                throw new IllegalArgumentException("server name '" + name + "' must be non-blank and without '/',"
                        + " e.g. \"admin\"");
            }
            this.name = name;
            return this;
        }

        /**
         * Listens on {@code host:port}. The host decides who can connect: {@code "0.0.0.0"} accepts connections
         * on every interface (what a container needs, so that the kubelet and the load balancer reach it);
         * {@code "127.0.0.1"} accepts only connections from this machine. Port 0 picks a free port
         * ({@link DrainingHttpServer#port()} tells which).
         *
         * @throws IllegalArgumentException if the port is not in 0..65535 or the host cannot be resolved
         */
        public Builder bind(String host, int port) {
            this.address = Binding.of(host, port);
            return this;
        }

        /** Listens on {@code address} (e.g. {@code new InetSocketAddress(8080)} for every interface). */
        public Builder address(InetSocketAddress address) {
            this.address = Binding.requireResolved(address);
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
            this.retryAfter = Binding.retryAfter(d);
            return this;
        }

        /**
         * Once draining, a connection that has not delivered a complete request head (request line and headers)
         * within this time is closed (default 1 s). Such a connection holds no request, so it is not work to
         * drain: without this bound a client sending its headers slowly would hold the drain for the whole grace
         * period. The time counts from the start of the drain, or from when the connection's first byte
         * arrived if that is later. Requests whose head has arrived are not affected.
         *
         * @throws IllegalArgumentException if {@code d} is zero or negative
         */
        public Builder requestHeadTimeout(Duration d) {
            Objects.requireNonNull(d, "requestHeadTimeout");
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("requestHeadTimeout must be positive, was " + d + ": e.g."
                        + " requestHeadTimeout(Duration.ofSeconds(1))");
            }
            this.requestHeadTimeout = d;
            return this;
        }

        /**
         * How long the server stays up after its listener has closed even with nothing in flight (default
         * 250 ms): a connection the kernel accepted just before the close may not have sent its first request yet
         * (the JDK's server sees a connection only once it is readable), and it gets this long to do so; its
         * request is then answered, with {@code Connection: close}. A connection still silent after it is closed.
         *
         * @throws IllegalArgumentException if {@code d} is negative, or longer than 10 s
         */
        public Builder closeGrace(Duration d) {
            Objects.requireNonNull(d, "closeGrace");
            if (d.isNegative() || d.compareTo(Duration.ofSeconds(10)) > 0) {
                throw new IllegalArgumentException("closeGrace must be in 0..10 s, was " + d + ": it only needs to"
                        + " cover a client's connect-to-request time, e.g. closeGrace(Duration.ofMillis(250))");
            }
            this.closeGrace = d;
            return this;
        }

        /**
         * Paths of the liveness and readiness endpoints (default {@code /health/live}, {@code /health/ready}).
         *
         * @throws IllegalArgumentException if the two are the same, or a route is already registered on one
         */
        public Builder healthPaths(String live, String ready) {
            requirePath(live);
            requirePath(ready);
            if (live.equals(ready)) {
                throw new IllegalArgumentException("the liveness and readiness endpoints need two paths, both were "
                        + live + ": e.g. healthPaths(\"/health/live\", \"/health/ready\")");
            }
            for (String p : new String[] {live, ready}) {
                if (routes.containsKey(p)) {
                    throw new IllegalArgumentException("a route is already registered on " + p + ": choose health"
                            + " paths that no route uses, or move that route");
                }
            }
            this.livePath = live;
            this.readyPath = ready;
            return this;
        }

        /**
         * Serves {@code handler} under {@code path} (a prefix, as in {@link HttpServer#createContext}).
         *
         * @throws IllegalArgumentException if a route is already registered on {@code path}, or it is one of
         *         the health endpoints' paths (see {@link #healthPaths})
         */
        public Builder route(String path, HttpHandler handler) {
            requirePath(path);
            Objects.requireNonNull(handler, "handler");
            if (path.equals(livePath) || path.equals(readyPath)) {
                throw new IllegalArgumentException(path + " is the server's own " + (path.equals(livePath)
                        ? "liveness" : "readiness") + " endpoint, which follows the shutdown: serve the handler under"
                        + " another path, or move the health endpoints with healthPaths(live, ready)");
            }
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
         * Binds the server, registers it with the shutdown (a service, and {@link DrainingHttpServer#ingress()}
         * as an ingress; requests count in the shutdown's in-flight tracker) and starts accepting.
         *
         * @throws IOException if the address cannot be bound (e.g. {@code BindException: Address already in use})
         * @throws IllegalStateException if the shutdown has already started, or neither {@link #bind} nor
         *         {@link #address} was called
         */
        public DrainingHttpServer start() throws IOException {
            if (shutdown.isShuttingDown()) {
                throw new IllegalStateException("the shutdown has already started: start the server before it");
            }
            if (address == null) {
                throw new IllegalStateException("no address to listen on: call bind(host, port) before start(), e.g."
                        + " bind(\"0.0.0.0\", 8080) to accept connections from other machines (a kubelet, a load"
                        + " balancer) or bind(\"127.0.0.1\", 0) for this machine only on a free port; or address(...)");
            }
            HttpServer server = HttpListener.bind(address, backlog);
            var s = new DrainingHttpServer(shutdown, name, server, requestHeadTimeout, closeGrace);
            try {
                server.createContext(livePath, new HealthHandler(shutdown, false, retryAfter));
                server.createContext(readyPath, new HealthHandler(shutdown, true, retryAfter));
                for (Map.Entry<String, HttpHandler> r : routes.entrySet()) {
                    server.createContext(r.getKey(), new RouteHandler(s, r.getValue(), maxRequestBody));
                }
                if (!routes.containsKey("/")) {
                    server.createContext("/", new RouteHandler(s, ex -> Responses.sendJson(ex, 404,
                            Map.of("error", "no route for " + ex.getRequestURI().getPath()), false), maxRequestBody));
                }
                return s.start(server);
            } catch (RuntimeException | Error e) {
                s.abandonStart();
                throw e;
            }
        }
    }
}
