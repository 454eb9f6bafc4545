package dev.quiesce.jetty;

import dev.quiesce.shutdown.HandoffScope;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.component.Graceful;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty 12 {@link Server} that drains with a {@link Shutdown}: one this class builds
 * ({@link #builder(Shutdown)}), or one the application built ({@link #attach(Shutdown, Server)}). Either way Quiesce
 * puts its own handler first in the server's tree, so a server whose author forgot {@code GracefulHandler} still
 * drains; counts every request that reaches the application's handler; runs each in a virtual thread of the
 * shutdown's scope tree ({@code /<shutdown>/http/req-N}), so a Quiesce cancel interrupts it; serves
 * {@code /health/live} and {@code /health/ready} with the same JSON and {@code Retry-After} as the JDK adapter
 * ({@code dev.quiesce.http.DrainingHttpServer}); and registers its {@link #ingress()} with the shutdown.
 *
 * <pre>{@code
 * QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("0.0.0.0", 8080).handler(myHandler).start();
 * }</pre>
 *
 * <h2>In the shutdown sequence</h2>
 * <ul>
 *   <li>READINESS: {@code /health/ready} answers 503 with {@code Retry-After} and {@code Connection: close};
 *       other responses stay keep-alive during the pre-drain delay (closing every connection then makes clients
 *       that ignore readiness reconnect on every request).
 *   <li>STOP_ACCEPTING: every network connector's listening channel is closed, so new connections are refused at
 *       once; Jetty's stop timeout is set from the remaining budget. From here on HTTP/1.1 responses carry
 *       {@code Connection: close} and HTTP/2 sessions get a graceful GOAWAY, then at once one with their last
 *       stream id (their streams in flight complete, new ones are refused); the application's Graceful components shut down (WebSockets are
 *       closed with 1001), except a {@code GracefulHandler}, which would refuse requests still served. The
 *       requests' scope is asked to stop ({@code Scope.stopRequested()}
 *       turns true in a handler), so a streaming handler (SSE) ends its stream and its request completes.
 *   <li>DRAIN: the requests are counted down; a connection accepted just before the close gets a short grace to
 *       send its request; then every connection is closed (idle keep-alive ones included: they are not work, and
 *       a connection that never delivered a complete request head holds nothing) and the server is stopped,
 *       without waiting for Jetty's own stop timeout.
 *   <li>CANCEL: a handler still running is interrupted (its scope is cancelled); if it has not responded, the
 *       client gets a 503; then every connection is closed. A {@code TimeoutException} from Jetty's
 *       {@code stop()} is logged, and the connectors and connections are closed anyway.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class QuiesceJetty {
    private static final Logger LOG = LoggerFactory.getLogger(QuiesceJetty.class);
    /** After the listener closed: a connection the kernel accepted just before gets this long to send its request. */
    private static final long CLOSE_GRACE_NANOS = Duration.ofMillis(250).toNanos();

    private final Shutdown shutdown;
    private final Server server;
    private final JettyIngress ingress;
    /**
     * The requests' place in the shutdown's scope tree: the scope {@code http}, one virtual thread per request,
     * {@code <scope path>/req-N}, forked by the service's owner from the requests Jetty's threads hand over.
     */
    private final HandoffScope<Exchange> scope;
    private final CountDownLatch listenerClosed = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean stopAcceptingCalled = new AtomicBoolean();
    private final AtomicBoolean goAwayCalled = new AtomicBoolean();
    private volatile long listenerClosedNanos;
    /** Made at start, not in the stop phase. */
    private final Runnable stopJetty = this::stopJetty;
    /** What goAway() started: the application's Graceful components shutting down. */
    private volatile CompletableFuture<Void> goodbyes = CompletableFuture.completedFuture(null);
    /** The first network connector's port once started: Jetty forgets it when the listener closes. */
    private volatile int port = -1;

    private QuiesceJetty(Shutdown shutdown, Server server) {
        this.shutdown = shutdown;
        this.server = server;
        this.ingress = new JettyIngress(this, shutdown);
        this.scope = new HandoffScope<>("http", "req-", ingress.inFlight(), this::listenerClosed, this::drained,
                this::stopServer);
    }

    /** A builder for a Jetty server that drains with {@code shutdown}. */
    public static Builder builder(Shutdown shutdown) {
        return new Builder(Objects.requireNonNull(shutdown, "shutdown"));
    }

    /**
     * Makes {@code server}, which the application built, drain with {@code shutdown}: puts Quiesce's handler first
     * in its tree (health endpoints on {@code /health/live} and {@code /health/ready}, request counting, the scope
     * tree), starts the server if it is not started yet, and registers its {@link #ingress()}.
     *
     * @throws IllegalArgumentException if the server has no network connector (nothing to stop accepting on)
     * @throws IllegalStateException if the shutdown has already started, or the server is already attached
     * @throws IOException if the server cannot start (e.g. its port is in use)
     */
    public static QuiesceJetty attach(Shutdown shutdown, Server server) throws IOException {
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(server, "server");
        if (server.getContainedBeans(QuiesceHandler.class).size() > 0 || server.getHandler() instanceof QuiesceHandler) {
            throw new IllegalStateException("this server is already attached to a shutdown: attach it once");
        }
        return new QuiesceJetty(shutdown, server).start("/health/live", "/health/ready", Duration.ofSeconds(1));
    }

    /** The Jetty server. */
    public Server server() {
        return server;
    }

    /** This server as the shutdown drives it, registered at start; see {@link Ingress}. */
    public Ingress ingress() {
        return ingress;
    }

    /** The address the first network connector listens on (with the actual port when port 0 was asked for). */
    public InetSocketAddress address() {
        NetworkConnector c = networkConnectors().get(0);
        String host = c.getHost();
        InetAddress a;
        try {
            a = host == null || host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
        } catch (IOException e) {
            a = InetAddress.getLoopbackAddress();
        }
        if (a.isAnyLocalAddress()) {
            a = InetAddress.getLoopbackAddress(); // the address a client of this machine reaches it at
        }
        return new InetSocketAddress(a, port());
    }

    /** The port the first network connector listens on. */
    public int port() {
        int p = port;
        return p >= 0 ? p : networkConnectors().get(0).getLocalPort();
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Makes {@code server}, which its owner starts later (Spring Boot's embedded Jetty), drain with {@code shutdown}:
     * puts Quiesce's handler first in its tree now, before it starts (request counting and the scope tree, no health
     * endpoints: the owner has its own), and starts the requests' scope. Call {@link #started()} once the server and
     * its connectors have started: that registers the {@link #ingress()}. The owner starts and stops the server as it
     * did; the drain stops it once the last request is done.
     *
     * @param shutdown the shutdown
     * @param server the server, not started, with at least one network connector
     * @return the adapter; call {@link #started()} next
     * @throws IllegalArgumentException if the server has no network connector (nothing to stop accepting on)
     * @throws IllegalStateException if the server has started (use {@link #attach(Shutdown, Server)}), the shutdown
     *     has already started, or the server is already attached
     */
    public static QuiesceJetty prepare(Shutdown shutdown, Server server) {
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(server, "server");
        if (server.isStarted()) {
            throw new IllegalStateException("the server has already started: prepare it before it starts, or attach"
                    + " it with QuiesceJetty.attach(shutdown, server)");
        }
        if (server.getContainedBeans(QuiesceHandler.class).size() > 0 || server.getHandler() instanceof QuiesceHandler) {
            throw new IllegalStateException("this server is already attached to a shutdown: attach it once");
        }
        QuiesceJetty jetty = new QuiesceJetty(shutdown, server);
        jetty.begin();
        jetty.wrapHandler(null, null, Duration.ofSeconds(1));
        return jetty;
    }

    /**
     * For a server {@link #prepare(Shutdown, Server) prepared} before its owner started it: registers the
     * {@link #ingress()} with the shutdown, now that the server and its connectors have started.
     *
     * @return this adapter
     * @throws IllegalStateException if the server has not started, or the shutdown has gone past STOP_ACCEPTING (the
     *     requests' scope is then cancelled and the server stopped)
     */
    public QuiesceJetty started() {
        if (!server.isStarted() || networkConnectors().isEmpty() || networkConnectors().get(0).getLocalPort() <= 0) {
            throw new IllegalStateException("the server is not started (or its connectors are not open): call"
                    + " started() once its owner has started it");
        }
        try {
            register();
        } catch (RuntimeException e) {
            scope.force("the Jetty server did not start");
            stopServer(false);
            throw e;
        }
        LOG.info("Jetty server listening on {} ({})", describeAddress(), protocols());
        return this;
    }

    private QuiesceJetty start(String livePath, String readyPath, Duration retryAfter) throws IOException {
        begin();
        try {
            wrapHandler(livePath, readyPath, retryAfter);
            if (!server.isStarted()) {
                server.start();
            }
            register();
        } catch (Exception e) {
            scope.force("the Jetty server did not start");
            stopServer(false);
            if (e instanceof IOException io) {
                throw io;
            }
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("the Jetty server did not start: " + e.getMessage(), e);
        }
        LOG.info("Jetty server listening on {} ({})", describeAddress(), protocols());
        return this;
    }

    /** Checks the server, turns off Jetty's idle-timeout shortening, starts the requests' scope. */
    private void begin() {
        if (shutdown.isShuttingDown()) {
            throw new IllegalStateException("the shutdown has already started: start the server before it");
        }
        if (networkConnectors().isEmpty()) {
            throw new IllegalArgumentException("the server has no network connector: add a ServerConnector (e.g. new"
                    + " ServerConnector(server) with setPort(8080)) before attaching it");
        }
        for (NetworkConnector c : networkConnectors()) {
            if (c instanceof AbstractConnector ac) {
                ac.setShutdownIdleTimeout(-1); // Jetty's shutdown would cut requests in flight after 1 s of silence
            }
        }
        scope.start(shutdown, "jetty", "the Jetty server");
    }

    /** Puts Quiesce's handler first in the server's tree; health endpoints on the paths unless they are null. */
    private void wrapHandler(String livePath, String readyPath, Duration retryAfter) {
        var handler = new QuiesceHandler(shutdown, ingress, scope, new String[] {livePath, readyPath}, retryAfter);
        handler.setHandler(server.getHandler());
        server.setHandler(handler);
    }

    /** Once started: the port, and the ingress registered (last: it throws past STOP_ACCEPTING). */
    private void register() {
        port = networkConnectors().get(0).getLocalPort();
        shutdown.ingress(ingress);
    }

    List<NetworkConnector> networkConnectors() {
        List<NetworkConnector> out = new ArrayList<>();
        for (Connector c : server.getConnectors()) {
            if (c instanceof NetworkConnector n) {
                out.add(n);
            }
        }
        return out;
    }

    /** {@link #stopAccepting()} once; a later call waits until the listeners are closed. */
    void stopAcceptingOnce() throws InterruptedException {
        if (stopAcceptingCalled.compareAndSet(false, true)) {
            stopAccepting();
        }
        listenerClosed.await();
    }

    /** {@link #goAway()} once. */
    void goAwayOnce() {
        if (goAwayCalled.compareAndSet(false, true)) {
            goAway();
        }
    }

    /** STOP_ACCEPTING: closes every listening channel; then tells persistent connections to leave. */
    private void stopAccepting() {
        // Jetty's own graceful stop waits at most until the grace period ends; Quiesce's count decides, and
        // stopServer() comes once it is zero, so the timeout only bounds what the count cannot see (a Graceful bean
        // of the application's)
        server.setStopTimeout(Math.max(1, shutdown.untilCancel().orElse(shutdown.remaining()).toMillis()));
        List<InetSocketAddress> listening = new ArrayList<>();
        for (NetworkConnector c : networkConnectors()) {
            if (c.getLocalPort() > 0) {
                String host = c.getHost();
                listening.add(new InetSocketAddress(host == null || host.equals("0.0.0.0") || host.equals("::")
                        ? InetAddress.getLoopbackAddress() : new InetSocketAddress(host, 0).getAddress(), c.getLocalPort()));
            }
            c.close();
        }
        // Jetty's close() of a connector may leave the channel taking connections for a moment (its acceptor closes
        // it), and a connection taken then would be closed unanswered
        HandoffScope.awaitRefused(listening, Duration.ofSeconds(2));
        listenerClosedNanos = System.nanoTime() | 1; // never 0
        listenerClosed.countDown();
        LOG.info("Jetty server stopped accepting on {}", describeAddress());
        ingress.goAway();
        scope.wake();
    }

    boolean listenerClosed() {
        return listenerClosedNanos != 0;
    }

    /** Whether the drain is over: the listener closed a little while ago and no request is in flight. */
    boolean drained() {
        long closedAt = listenerClosedNanos;
        return closedAt != 0 && System.nanoTime() - closedAt >= CLOSE_GRACE_NANOS && ingress.inFlight().inFlight() == 0;
    }

    /**
     * Tells persistent connections to leave: every HTTP/1.1 response that commits from now on says
     * {@code Connection: close} (set by the adapter, not by Jetty's connector shutdown, which would also close a
     * kept-alive connection whose next request is already on its way) and each HTTP/2 session gets a graceful
     * GOAWAY; the requests' scope is asked to stop, so that streaming handlers (SSE) end their streams.
     */
    private void goAway() {
        scope.requestStop(); // streaming handlers (SSE) poll Scope.stopRequested() and end their streams
        // the application's Graceful components (WebSocket session trackers close their sessions with 1001), but
        // not a GracefulHandler: it would answer 503 to requests on connections still open, which are served; nor
        // a connector or what it contains: the HTTP/2 factory's session container waits for every session to end,
        // which after the final GOAWAY is when the client closes (its sessions get their goodbye below, and the
        // adapter's count, not the sessions, decides when the drain ends)
        var connectorParts = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<Graceful, Boolean>());
        for (Connector c : server.getConnectors()) {
            if (c instanceof org.eclipse.jetty.util.component.Container container) {
                connectorParts.addAll(container.getContainedBeans(Graceful.class));
            }
        }
        List<CompletableFuture<Void>> goodbyes = new ArrayList<>();
        for (Graceful g : server.getContainedBeans(Graceful.class)) {
            if (!(g instanceof Connector) && !(g instanceof GracefulHandler) && !connectorParts.contains(g)) {
                goodbyes.add(g.shutdown());
            }
        }
        this.goodbyes = CompletableFuture.allOf(goodbyes.toArray(new CompletableFuture<?>[0]));
        for (Connector c : server.getConnectors()) {
            for (EndPoint ep : c.getConnectedEndPoints()) {
                if (ep.getConnection() instanceof HTTP2Connection h2) {
                    goAway(h2.getSession());
                }
            }
        }
        scope.wake();
    }

    /**
     * An HTTP/2 session's goodbye: the graceful GOAWAY (last stream id 2^31-1), then the one with the last stream
     * id the session has taken. Jetty's own {@code shutdown()} sends the first only and goes on serving new streams
     * until its streams in flight are done; after the second, Jetty ignores a new stream, which its client sees is
     * above the last stream id, unprocessed and safe to retry elsewhere. The second follows at once, not after a
     * PING round trip (Jetty's session gives no PING acknowledgement to the server's code): a stream the client
     * sent before it saw the first is refused the same way. The streams in flight complete; the session ends once
     * they have.
     */
    private static void goAway(org.eclipse.jetty.http2.HTTP2Session session) {
        session.shutdown();
        session.close(org.eclipse.jetty.http2.ErrorCode.NO_ERROR.code, "the server is shutting down",
                org.eclipse.jetty.util.Callback.NOOP);
    }

    void forceClose() {
        scope.force("forceClose(): the grace period is over");
    }

    /**
     * Closes every connection and stops the server; once. {@code graceful}: the drain completed, and Jetty's stop
     * may use its stop timeout; otherwise it stops at once. Whatever Jetty's {@code stop()} throws (its
     * {@code TimeoutException} among them), the connectors and connections are closed after it.
     */
    void stopServer(boolean graceful) {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        listenerClosed.countDown();
        if (graceful) { // let the goodbyes (WebSocket close handshakes) finish, within the grace
            try {
                goodbyes.get(Math.max(1, server.getStopTimeout()), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.debug("the server's Graceful components did not all shut down", e);
            }
        }
        closeConnections();
        if (!graceful) {
            server.setStopTimeout(0);
        }
        // Jetty's stop() on a thread of its own, waited for as long as the grace allows (a moment after a cancel):
        // a stop that hangs or throws (its TimeoutException) never holds the shutdown nor skips what follows
        Thread stopper = Thread.ofPlatform().name("quiesce-jetty-stop").daemon(true).start(stopJetty);
        long bound = graceful ? Math.max(1, server.getStopTimeout()) + 1000 : 1000;
        try {
            stopper.join(Duration.ofMillis(bound));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the CANCEL phase: close everything now
        } finally {
            for (Connector c : server.getConnectors()) {
                if (c instanceof NetworkConnector n) {
                    n.close();
                }
                try {
                    c.stop();
                } catch (Exception e) {
                    LOG.debug("could not stop connector {}", c, e);
                }
            }
            closeConnections();
            stopped.countDown();
        }
    }

    /** Jetty's own stop; on the stopper thread. */
    private void stopJetty() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("Jetty's stop() failed ({}); its connectors and connections are closed anyway", e.toString());
        }
    }

    private void closeConnections() {
        for (Connector c : server.getConnectors()) {
            for (EndPoint ep : c.getConnectedEndPoints()) {
                Connection connection = ep.getConnection();
                if (connection instanceof HTTP2Connection h2) {
                    h2.getSession().close(0, "the server is shutting down", org.eclipse.jetty.util.Callback.NOOP);
                }
                ep.close();
            }
        }
    }

    // ------------------------------------------------------------------ description

    String protocols() {
        var out = new StringBuilder();
        for (Connector c : server.getConnectors()) {
            for (String p : c.getProtocols()) {
                String name = switch (p) {
                    case "http/1.1" -> "HTTP/1.1";
                    case "h2c" -> "h2c";
                    case "h2" -> "h2";
                    default -> p;
                };
                if (out.indexOf(name) < 0) {
                    out.append(out.isEmpty() ? "" : "+").append(name);
                }
            }
        }
        return out.isEmpty() ? "HTTP" : out.toString();
    }

    String describeAddress() {
        List<NetworkConnector> cs = networkConnectors();
        if (cs.isEmpty()) {
            return "none";
        }
        NetworkConnector c = cs.get(0);
        String host = c.getHost() == null || c.getHost().isEmpty() ? "0.0.0.0" : c.getHost();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port();
    }

    /**
     * Configures a {@link QuiesceJetty} server: one {@link ServerConnector} with HTTP/1.1 and, unless turned off,
     * h2c (HTTP/2 without TLS, by prior knowledge or upgrade) on the same port. Not thread-safe; use it from one
     * thread.
     */
    public static final class Builder {
        private final Shutdown shutdown;
        private InetSocketAddress address; // no default: where to listen is a decision, see bind()
        private Handler handler;
        private boolean h2c = true;
        private Duration retryAfter = Duration.ofSeconds(1);
        private String livePath = "/health/live";
        private String readyPath = "/health/ready";

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
        }

        /**
         * Listens on {@code host:port}: {@code "0.0.0.0"} for every interface (what a container needs),
         * {@code "127.0.0.1"} for this machine only. Port 0 picks a free port ({@link QuiesceJetty#port()} tells
         * which).
         *
         * @param host the address to listen on
         * @param port the port, 0..65535
         * @return this builder
         * @throws IllegalArgumentException if the host is blank or the port is not in 0..65535
         */
        public Builder bind(String host, int port) {
            if (Objects.requireNonNull(host, "host").isBlank() || port < 0 || port > 65535) {
                throw new IllegalArgumentException("cannot listen on '" + host + "', port " + port + ": the host must"
                        + " not be empty (\"0.0.0.0\" for every interface, \"127.0.0.1\" for this machine only) and the"
                        + " port must be in 0..65535 (0 for any free port)");
            }
            this.address = InetSocketAddress.createUnresolved(host, port);
            return this;
        }

        /**
         * The application's handler: every request that is not a health probe.
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder handler(Handler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Whether the connector also speaks h2c, HTTP/2 without TLS (default true).
         *
         * @param enabled false for HTTP/1.1 only
         * @return this builder
         */
        public Builder h2c(boolean enabled) {
            this.h2c = enabled;
            return this;
        }

        /**
         * The {@code Retry-After} a draining readiness probe answers with (default 1 s).
         *
         * @param d the delay, not negative
         * @return this builder
         */
        public Builder retryAfter(Duration d) {
            if (Objects.requireNonNull(d, "retryAfter").isNegative()) {
                throw new IllegalArgumentException("retryAfter must not be negative, was " + d);
            }
            this.retryAfter = d;
            return this;
        }

        /**
         * Paths of the liveness and readiness endpoints (default {@code /health/live}, {@code /health/ready}).
         *
         * @param live the liveness path
         * @param ready the readiness path
         * @return this builder
         * @throws IllegalArgumentException if a path does not start with '/', or the two are the same
         */
        public Builder healthPaths(String live, String ready) {
            if (!absolute(live) || !absolute(ready)) {
                throw new IllegalArgumentException("health paths must start with '/', were '" + live + "' and '"
                        + ready + "': e.g. healthPaths(\"/health/live\", \"/health/ready\")");
            }
            if (live.equals(ready)) {
                throw new IllegalArgumentException("the liveness and readiness endpoints need two paths, both were "
                        + live + ": e.g. healthPaths(\"/health/live\", \"/health/ready\")");
            }
            this.livePath = live;
            this.readyPath = ready;
            return this;
        }

        private static boolean absolute(String path) {
            return Objects.requireNonNull(path, "path").startsWith("/");
        }

        /**
         * Builds the server, starts it and registers it with the shutdown (a service, and
         * {@link QuiesceJetty#ingress()} as an ingress).
         *
         * @return the started server
         * @throws IOException if the address cannot be bound (e.g. address already in use)
         * @throws IllegalStateException if the shutdown has already started, or {@link #bind} or {@link #handler}
         *         was not called
         */
        public QuiesceJetty start() throws IOException {
            if (address == null) {
                throw new IllegalStateException("no address to listen on: call bind(host, port) before start(), e.g."
                        + " bind(\"0.0.0.0\", 8080) for other machines or bind(\"127.0.0.1\", 0) for this machine"
                        + " only on a free port");
            }
            if (handler == null) {
                throw new IllegalStateException("no handler: call handler(h) with the application's Jetty Handler");
            }
            Server server = new Server();
            HttpConfiguration config = new HttpConfiguration();
            config.setSendServerVersion(false);
            var connector = h2c
                    ? new ServerConnector(server, new HttpConnectionFactory(config),
                            new HTTP2CServerConnectionFactory(config))
                    : new ServerConnector(server, new HttpConnectionFactory(config));
            connector.setHost(address.getHostString());
            connector.setPort(address.getPort());
            server.addConnector(connector);
            server.setHandler(handler);
            try {
                connector.open(); // binds now: a port in use is an IOException here, with advice
            } catch (IOException e) {
                connector.close();
                var failed = new java.net.BindException("cannot listen on " + address.getHostString() + ":"
                        + address.getPort() + ": " + e.getMessage() + " (pick another port, or stop the process that"
                        + " holds it)");
                failed.initCause(e);
                throw failed;
            }
            try {
                return new QuiesceJetty(shutdown, server).start(livePath, readyPath, retryAfter);
            } catch (IOException | RuntimeException e) {
                connector.close();
                throw e;
            }
        }
    }
}
