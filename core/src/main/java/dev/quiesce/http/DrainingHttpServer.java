package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Shield;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.internal.Json;
import dev.quiesce.internal.SubtaskImpl;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
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
 * {@snippet class=dev.quiesce.snippets.HttpSnippets region=draining-http-server}
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
        final HttpIngress ingress;
        volatile InFlightTracker.Ticket request;
        /** Answered 503 because the service is shutting down: the report counts it as cancelled. */
        volatile boolean cancelled;

        Served(InFlightTracker.Ticket exchange, HttpIngress ingress) {
            this.exchange = exchange;
            this.ingress = ingress;
        }

        /** Called when a request reaches a handler (health probes excepted): from now on it is work to drain. */
        void requestStarted(InFlightTracker requests) {
            if (request == null) {
                ingress.requestAccepted();
                request = requests.enter();
            }
        }

        void ended() {
            var r = request;
            if (r != null) {
                ingress.requestEnded(cancelled); // before the tickets close: final once no exchange is left
                r.close(); // before the exchange: when no exchange is left, no request is either
            }
            exchange.close();
        }
    }

    private final Shutdown shutdown;
    private final HttpServer server;
    private final HttpIngress ingress = new HttpIngress(this);
    /** Every exchange handed to the executor, request or not; see {@link Served}. */
    private final InFlightTracker exchanges = ingress.inFlight();
    private final long maxRequestBody;
    private final Duration retryAfter;
    private final AtomicLong requestSeq = new AtomicLong();
    private final CountDownLatch scopeOpened = new CountDownLatch(1);
    private final CountDownLatch listenerClosed = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile EngineScope<Object, Void> scope;
    private volatile boolean started;
    private volatile Runnable beforeJdkStop = () -> { };
    private final java.util.concurrent.atomic.AtomicBoolean stoppedNow = new java.util.concurrent.atomic.AtomicBoolean();
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
            beforeJdkStop.run();
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

    /** For tests: runs {@code r} on the stopping thread before it calls the JDK's {@code stop} (a slow stop). */
    void beforeJdkStop(Runnable r) {
        beforeJdkStop = Objects.requireNonNull(r);
    }

    /** Connections the JDK's server has handed over (accepted), requests or not; for tests. */
    long connectionsSeen() {
        return exchanges.entered();
    }

    /** Time left before a request still running is cancelled; empty while the service is not shutting down. */
    public Duration untilCancel() {
        return shutdown.untilCancel().orElse(Duration.ofSeconds(Long.MAX_VALUE));
    }

    /** This server as the shutdown drives it, registered by {@link Builder#start()}; see {@link Ingress}. */
    public Ingress ingress() {
        return ingress;
    }

    /** The exchanges' scope, once the service has opened it; for {@link HttpIngress#forceClose()}. */
    EngineScope<Object, Void> exchangeScope() {
        return scope;
    }

    /** Waits until the listener is closed (by {@link #stopAccepting()} or a stop). */
    void awaitListenerClosed() throws InterruptedException {
        listenerClosed.await();
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Starts serving. Each step that registers something comes after the steps that can fail before it, and a
     * failure undoes what was done ({@link #abandonStart()}): a server that did not start holds no socket, no
     * thread, and has no stop-accepting listener in the shutdown.
     */
    private DrainingHttpServer start() {
        server.setExecutor(new ExchangeExecutor());
        // A shutdown that starts while this server starts (a SIGTERM during start-up) wins: the service may
        // never run (a fork into a shutdown that has begun does not run), or the stop-accepting phase may be
        // past; then the builder undoes the start (abandonStart) and the server is closed, not left listening.
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
        server.start();
        started = true;
        InetAddress bound = server.getAddress().getAddress();
        // the address a client of this machine reaches the listener at (the wildcard address is not one)
        probe = new InetSocketAddress(bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound, port());
        // One probe now: it loads and links the socket code stopAccepting() uses after SIGTERM (measured: several
        // ms of class loading on a cold JVM), and checks that the listener accepts.
        if (!acceptsConnections(probe)) {
            LOG.warn("HTTP server on {} did not accept a connection from {} right after it started", server.getAddress(),
                    probe);
        }
        // last: it throws if the shutdown has gone past STOP_ACCEPTING meanwhile, and then the server is undone
        shutdown.ingress(ingress);
        LOG.info("HTTP server listening on {}", server.getAddress());
        return this;
    }

    /** Undoes a start that failed: stops the server (releasing its socket and threads) and ends its service. */
    private void abandonStart() {
        if (started) {
            stopNow();
        } else if (stoppedNow.compareAndSet(false, true)) {
            closeUnstarted(server); // not started: stop(0) alone would leave the socket open
        }
        listenerClosed.countDown(); // ends the http-server service, if it was forked
    }

    /** The service that owns the exchanges' scope: it ends when the last exchange has ended. */
    private void serve() throws InterruptedException {
        try (var s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("http"))) {
            scope = (EngineScope<Object, Void>) s;
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
    void stopAccepting() throws InterruptedException {
        // HttpServer.stop(delay) closes the listening channel first, then waits (parked, with a timeout) for
        // its exchanges up to the delay, and sometimes for all of it. It runs on its own thread; Quiesce's
        // tracker decides when the drain is over and stopNow() then ends it.
        stopDelaySeconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, shutdown.remaining().toSeconds()));
        Thread stopper = Thread.ofPlatform().name("quiesce-http-stop").daemon(true).start(stopWithDelay);
        // Return only once a new connection is refused: that is what this phase promises. No connection is
        // tried before stop() has closed the channel (the stopper then waits in stop(), parked with a timeout,
        // or has returned): one tried earlier would be accepted, and handed to a handler, by the server that
        // is stopping. The close itself completes in the JDK's dispatcher thread, at its next select, so each
        // connection tried after that (never accepted: the channel's key is cancelled) confirms it, backing off.
        long pause = 10_000; // ns
        while (stopper.isAlive() && stopper.getState() != Thread.State.TIMED_WAITING) {
            pause = backOff(pause, 1_000_000); // no connection: a thread state read
        }
        int tries = 0;
        pause = 100_000;
        while (stopper.isAlive() && acceptsConnections(probe)) {
            tries++;
            pause = backOff(pause, 50_000_000);
        }
        listenerClosed.countDown();
        LOG.info("HTTP server stopped accepting on {}{}", server.getAddress(),
                tries == 0 ? "" : " (confirmed after " + (tries + 1) + " connection attempts)");
    }

    /** Sleeps {@code nanos}, then returns the next pause: twice as long, at most {@code maxNanos}. */
    private static long backOff(long nanos, long maxNanos) throws InterruptedException {
        Thread.sleep(Duration.ofNanos(nanos));
        return Math.min(nanos * 2, maxNanos);
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
        if (stoppedNow.compareAndSet(false, true)) {
            server.stop(0);
        }
        stopped.countDown();
    }

    // ------------------------------------------------------------------ exchanges

    /** Runs each exchange in its own virtual thread in the http scope, counted from the moment it is handed over. */
    private final class ExchangeExecutor implements Executor {
        @Override
        public void execute(Runnable exchange) {
            var served = new Served(exchanges.enter(), ingress);
            Runnable counted = () -> {
                SERVED.set(served);
                try {
                    exchange.run();
                } finally {
                    SERVED.remove();
                    served.ended();
                }
            };
            EngineScope<Object, Void> s = scope;
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
        return ingress.goingAway() || shutdown.isShuttingDown()
                || shutdown.readiness().get().compareTo(Readiness.State.DRAINING) >= 0;
    }

    private static void markCancelled(Served served) {
        if (served != null) {
            served.cancelled = true;
        }
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
            DrainingExchange exchange = new DrainingExchange(original);
            try (exchange) {
                if (SubtaskImpl.current() == null) { // not in the http scope: the server is stopping
                    markCancelled(served);
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
                    exchange.limitRequestBody(maxRequestBody);
                    handler.handle(exchange);
                } catch (BodyTooLargeException e) {
                    exchange.getResponseHeaders().set("Connection", "close");
                    sendJson(exchange, 413, Map.of("error", e.getMessage()), false);
                } catch (IOException | RuntimeException e) {
                    Scope<?, ?> current = Scope.current();
                    if (current.isCancelled()) {
                        CancelReason why = current.cancelReason().orElseThrow();
                        markCancelled(served);
                        LOG.info("request {} {} cancelled: {}", exchange.getRequestMethod(), exchange.getRequestURI(),
                                why.describe());
                        // The socket is an interruptible channel: writing with the interrupt status set would
                        // close it (ClosedByInterruptException). A shield clears the status for the write and
                        // restores it after. The reason stays in the log: it can hold a failure's text.
                        shielded(() -> sendJson(exchange, 503, Map.of("error", "request cancelled: the service is"
                                + " shutting down"), true));
                    } else if (exchange.clientFailed()) {
                        // the client went away (reset, broken pipe) or sent a broken body: not a server bug, and
                        // any client can cause it, so one line at DEBUG
                        LOG.debug("{} {} from {} ended early, on the client's side: {}", exchange.getRequestMethod(),
                                exchange.getRequestURI(), exchange.getRemoteAddress(), e.toString());
                    } else {
                        // a server bug: logged once, with its stack trace; the client learns nothing of it
                        LOG.error("handler for {} {} failed; answered 500", exchange.getRequestMethod(),
                                exchange.getRequestURI(), e);
                        sendJson(exchange, 500, Map.of("error", "internal server error"), false);
                    }
                }
            }
        }
    }

    /**
     * The exchange a handler sees: adds {@code Connection: close} to its response if the server drains by then;
     * answers HEAD as the JDK's server requires (the handler's headers and status, its body dropped); and notes
     * when the client's side fails (reset, broken pipe), so that the failure is not taken for a server bug.
     */
    private final class DrainingExchange extends HttpExchange {
        private final HttpExchange delegate;
        private final boolean head;
        private InputStream requestBody;
        private OutputStream responseBody;
        private volatile boolean clientFailed;
        /** The body length announced in sendResponseHeaders (0 with no body), or -1: chunked, or not yet sent. */
        private volatile long announcedLength = -1;

        DrainingExchange(HttpExchange delegate) {
            this.delegate = delegate;
            this.head = "HEAD".equalsIgnoreCase(delegate.getRequestMethod());
            this.requestBody = new ClientInput(delegate.getRequestBody(), this);
            this.responseBody = head ? new HeadOutput(delegate.getResponseBody())
                    : new ClientOutput(delegate.getResponseBody(), this);
        }

        void limitRequestBody(long max) {
            requestBody = new LimitedInputStream(requestBody, max);
        }

        /** Whether reading the request or writing the response failed on the connection (the client's side). */
        boolean clientFailed() {
            return clientFailed;
        }

        void markClientFailed() {
            clientFailed = true;
        }

        @Override
        public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
            if (draining()) {
                delegate.getResponseHeaders().set("Connection", "close");
            }
            if (delegate.getResponseCode() != -1) { // the handler's mistake, which the JDK reports as an IOException
                throw new IOException("the handler sent the response headers twice");
            }
            long length = bodyLength(delegate, rCode, responseLength);
            announcedLength = length == -1 ? 0 : length == 0 ? -1 : length;
            try {
                delegate.sendResponseHeaders(rCode, length);
            } catch (IOException e) {
                clientFailed = true;
                throw e;
            }
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
            return requestBody;
        }

        @Override
        public OutputStream getResponseBody() {
            return responseBody;
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
            if (i != null) {
                requestBody = i;
            }
            if (o != null) {
                responseBody = o;
            }
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
        byte[] bytes = toJson(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryLater) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
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

    /** A request body whose read failures are the client's (a reset, a truncated chunked body). */
    private static final class ClientInput extends java.io.FilterInputStream {
        private final DrainingExchange exchange;

        ClientInput(InputStream in, DrainingExchange exchange) {
            super(in);
            this.exchange = exchange;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }
    }

    /**
     * A response body whose write failures are the client's (broken pipe, reset). What the JDK also reports as
     * an IOException but is the handler's mistake (a write before the headers, more bytes than it announced,
     * fewer at close) is checked here first, and left a server bug.
     */
    private static final class ClientOutput extends java.io.FilterOutputStream {
        private final DrainingExchange exchange;
        private long written;

        ClientOutput(OutputStream out, DrainingExchange exchange) {
            super(out);
            this.exchange = exchange;
        }

        private void check(long more) throws IOException {
            if (exchange.getResponseCode() == -1) {
                throw new IOException("the handler wrote the response body before sendResponseHeaders");
            }
            long announced = exchange.announcedLength;
            if (announced >= 0 && written + more > announced) {
                throw new IOException("the handler wrote more than the " + announced + " bytes it announced");
            }
            written += more;
        }

        @Override
        public void write(int b) throws IOException {
            check(1);
            try {
                out.write(b);
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check(len);
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                exchange.markClientFailed();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            long announced = exchange.announcedLength;
            boolean complete = exchange.getResponseCode() == -1 || announced < 0 || written >= announced;
            try {
                out.close();
            } catch (IOException e) {
                if (complete) {
                    exchange.markClientFailed();
                }
                throw e;
            }
        }
    }

    /** The response body of a HEAD request: the handler writes what it would send to a GET; nothing is sent. */
    private static final class HeadOutput extends OutputStream {
        private final OutputStream response;

        HeadOutput(OutputStream response) {
            this.response = response;
        }

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}

        @Override
        public void close() throws IOException {
            response.close();
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
        private InetSocketAddress address; // no default: where to listen is a decision, see bind()
        private int backlog = 1024;
        private long maxRequestBody = 1 << 20;
        private Duration retryAfter = Duration.ofSeconds(1);
        private String livePath = "/health/live";
        private String readyPath = "/health/ready";
        private final Map<String, HttpHandler> routes = new LinkedHashMap<>();

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
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
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host is empty: use \"0.0.0.0\" for every interface or \"127.0.0.1\""
                        + " for this machine only");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is not in 0..65535; use 0 for any free port");
            }
            return address(new InetSocketAddress(host, port));
        }

        /** Listens on {@code address} (e.g. {@code new InetSocketAddress(8080)} for every interface). */
        public Builder address(InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (address.isUnresolved()) {
                throw new IllegalArgumentException("cannot resolve host '" + address.getHostString() + "': use an IP"
                        + " address (\"0.0.0.0\" for every interface, \"127.0.0.1\" for this machine only) or a name"
                        + " this machine resolves");
            }
            this.address = address;
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
            HttpServer server = bind(address, backlog);
            var s = new DrainingHttpServer(shutdown, server, maxRequestBody, retryAfter);
            try {
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
            } catch (RuntimeException | Error e) {
                s.abandonStart();
                throw e;
            }
        }

        /**
         * A server bound to {@code address}, not started. {@code HttpServer.create(address, backlog)} would leave
         * its socket open when the bind fails (one file descriptor per failed start, never closed); this binds a
         * server created unbound and, on failure, releases everything it holds.
         */
        private static HttpServer bind(InetSocketAddress address, int backlog) throws IOException {
            HttpServer server = HttpServer.create();
            try {
                server.bind(address, backlog);
                return server;
            } catch (IOException e) {
                closeUnstarted(server);
                var failed = new java.net.BindException("cannot listen on " + describe(address) + ": " + advice(e));
                failed.initCause(e);
                throw failed;
            }
        }

        private static String describe(InetSocketAddress a) {
            String host = a.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
        }

        /** What went wrong, and what to do about it. */
        private static String advice(IOException e) {
            String m = String.valueOf(e.getMessage());
            String lower = m.toLowerCase(java.util.Locale.ROOT);
            if (lower.contains("already in use")) {
                return "address already in use; pick another port or stop the process that holds it";
            }
            if (lower.contains("cannot assign requested address")) {
                return "this machine has no such address; bind to one of its addresses, \"0.0.0.0\" for every"
                        + " interface or \"127.0.0.1\" for this machine only";
            }
            if (lower.contains("permission denied") || lower.contains("access denied")) {
                return "permission denied; ports below 1024 need privileges: use a port above 1023";
            }
            return m;
        }
    }

    /**
     * Releases a server that was never started. A server the JDK created holds a selector and, once closed, a
     * listening channel whose close completes only in the dispatcher thread (the channel is registered with
     * the selector): {@code stop} alone leaves both open. So it is started on a free loopback port, if it is
     * not bound yet, and stopped at once; the dispatcher then closes them. Never throws.
     */
    static void closeUnstarted(HttpServer server) {
        try {
            if (server.getAddress() == null) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            }
            server.start();
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not start the server to release it; it may keep a socket open", e);
        }
        try {
            server.stop(0);
        } catch (RuntimeException e) {
            LOG.debug("could not stop a server that did not start", e);
        }
    }
}
