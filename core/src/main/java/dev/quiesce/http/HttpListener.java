package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JDK server's listening side and its stop: binding (with a message that says what to do when it fails),
 * closing the listener in STOP_ACCEPTING and confirming that new connections are refused, and the final
 * {@code stop(0)} that closes every connection once Quiesce's count says the drain is over.
 */
final class HttpListener {
    private static final Logger LOG = LoggerFactory.getLogger(DrainingHttpServer.class);

    private final HttpServer server;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicBoolean stoppedNow = new AtomicBoolean();
    private volatile boolean started;
    private volatile Runnable beforeJdkStop = () -> { };
    private volatile int stopDelaySeconds;
    private volatile InetSocketAddress probe;
    /** Made at start, not in the stop phase: a lambda's first evaluation links a call site (ms on a cold JVM). */
    private final Runnable stopWithDelay;
    /** See {@link #hold()}: a path no client can guess. */
    private final String holdPath = "/.quiesce-hold-" + java.util.UUID.randomUUID();
    private final java.util.concurrent.atomic.AtomicReference<HttpExchange> held =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile java.net.Socket holdSocket;

    HttpListener(HttpServer server) {
        this.server = server;
        this.stopWithDelay = () -> {
            beforeJdkStop.run();
            server.stop(stopDelaySeconds);
        };
        server.createContext(holdPath, new Hold());
    }

    /** Receives the {@link #hold()} request: keeps its exchange open, unanswered. */
    private final class Hold implements HttpHandler {
        @Override
        public void handle(HttpExchange exchange) {
            ExchangeExecutor.notAConnection(); // the server's own: not counted as a connection seen
            held.set(exchange); // returns without answering: the JDK's server counts the exchange as open
        }
    }

    /**
     * Opens one exchange on the server and leaves it unanswered, so that the JDK's {@code stop(delay)} does not
     * end on its own. That stop closes the listener, then ends, closing every connection, the first moment no
     * exchange is open and no request is being read: under keep-alive load that moment comes between two
     * requests on a connection, and the request already on its way gets an empty reply. With this exchange
     * open, the JDK's stop ends only when {@link #stopNow()} says so, that is when Quiesce's count does.
     *
     * @return whether the exchange is open (false: the server did not receive it within half a second)
     */
    private boolean hold() throws InterruptedException {
        held.set(null);
        var socket = new java.net.Socket(java.net.Proxy.NO_PROXY);
        try {
            socket.connect(probe, 250);
            socket.getOutputStream().write(("GET " + holdPath + " HTTP/1.1\r\nHost: quiesce\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        } catch (IOException e) {
            closeQuietly(socket);
            return false;
        }
        holdSocket = socket;
        long pause = 10_000; // ns
        long deadline = System.nanoTime() + 500_000_000L; // inside the phase's budget (1 s by default)
        while (held.get() == null && System.nanoTime() - deadline < 0) {
            pause = backOff(pause, 1_000_000);
        }
        return held.get() != null;
    }

    /** Answers and closes the held exchange, if any (at start, after the rehearsal of {@link #hold()}). */
    private void release() {
        HttpExchange e = held.getAndSet(null);
        if (e != null) {
            try {
                e.sendResponseHeaders(204, -1);
            } catch (IOException gone) {
                // the connection is closed: the exchange is over too
            }
            e.close();
        }
        java.net.Socket socket = holdSocket;
        holdSocket = null;
        if (socket != null) {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(java.net.Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    /** For tests: runs {@code r} on the stopping thread before it calls the JDK's {@code stop} (a slow stop). */
    void beforeJdkStop(Runnable r) {
        beforeJdkStop = Objects.requireNonNull(r);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Starts the JDK's server and checks, once, that it accepts connections. */
    void start() {
        server.start();
        started = true;
        InetAddress bound = server.getAddress().getAddress();
        // the address a client of this machine reaches the listener at (the wildcard address is not one)
        probe = new InetSocketAddress(bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound,
                server.getAddress().getPort());
        // One probe now: it loads and links the socket code stopAccepting() uses after SIGTERM (measured: several
        // ms of class loading on a cold JVM), and checks that the listener accepts.
        if (!acceptsConnections(probe)) {
            LOG.warn("HTTP server on {} did not accept a connection from {} right after it started", server.getAddress(),
                    probe);
        }
        // and the hold stopAccepting() opens, rehearsed (links its code now, not after SIGTERM)
        boolean interrupted = false;
        try {
            if (!hold()) {
                LOG.warn("HTTP server on {} did not receive its own request right after it started", server.getAddress());
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            release();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Undoes a start that failed: stops the server, releasing its socket and threads. */
    void abandon() {
        if (started) {
            stopNow();
        } else if (stoppedNow.compareAndSet(false, true)) {
            closeUnstarted(server); // not started: stop(0) alone would leave the socket open
        }
        closed.countDown();
    }

    /** Waits until the listener is closed (or the server stopped). */
    void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * STOP_ACCEPTING: closes the listening socket; returns once it is closed.
     *
     * @param remaining the shutdown's remaining budget: the JDK's own stop delay, which {@link #stopNow()} cuts short
     */
    void stopAccepting(Duration remaining) throws InterruptedException {
        // HttpServer.stop(delay) closes the listening channel first, then waits (parked, with a timeout) for
        // its exchanges up to the delay, and sometimes for all of it. It runs on its own thread; Quiesce's
        // tracker decides when the drain is over and stopNow() then ends it.
        stopDelaySeconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, remaining.toSeconds()));
        if (!hold()) {
            LOG.warn("HTTP server on {} did not receive its own request before stopping: its connections may be"
                    + " closed as soon as none is busy", server.getAddress());
        }
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
        closed.countDown();
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

    /** Closes the listener and every connection now; used once the exchanges have drained or been cancelled. */
    void stopNow() {
        closed.countDown();
        if (stoppedNow.compareAndSet(false, true)) {
            server.stop(0); // closes every connection, the held exchange's too
            java.net.Socket socket = holdSocket;
            if (socket != null) {
                closeQuietly(socket);
            }
        }
    }

    // ------------------------------------------------------------------ binding

    /**
     * A server bound to {@code address}, not started. {@code HttpServer.create(address, backlog)} would leave
     * its socket open when the bind fails (one file descriptor per failed start, never closed); this binds a
     * server created unbound and, on failure, releases everything it holds.
     */
    static HttpServer bind(InetSocketAddress address, int backlog) throws IOException {
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
