package dev.quiesce.grpc;

import dev.quiesce.shutdown.HandoffScope;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A grpc-java {@link Server} that drains with a {@link Shutdown}: one this class builds on Netty
 * ({@link #builder(Shutdown)}), or one the application configures ({@link #attach(Shutdown, ServerBuilder)}).
 * Either way Quiesce adds its interceptor first (every call counted and run in the shutdown's scope tree, a
 * virtual thread and a scope {@code /<shutdown>/grpc/call-N}), the standard health service
 * ({@code grpc.health.v1.Health}, following the shutdown's readiness), and registers its {@link #ingress()}.
 *
 * <pre>{@code
 * QuiesceGrpc grpc = QuiesceGrpc.builder(shutdown).port(50051).addService(new MyService()).start();
 * }</pre>
 *
 * <h2>In the shutdown sequence</h2>
 * The order grpc-java's maintainers recommend (health {@code enterTerminalState()}, {@code shutdown()},
 * {@code awaitTermination(budget)}, {@code shutdownNow()}, a short await), with Quiesce's count of calls deciding
 * when the wait is over:
 * <ul>
 *   <li>TRIGGER / READINESS: the health service turns {@code NOT_SERVING} for every service name
 *       ({@link HealthStatusManager#enterTerminalState()}) when the readiness turns {@code DRAINING}, before the
 *       pre-drain delay; calls are still served during the delay.
 *   <li>STOP_ACCEPTING: the listening socket closes (a new connection is refused at once; this returns once it
 *       is); connections stay open, without a GOAWAY yet. From here on a response carries the trailer
 *       {@code quiesce-going-away: 1}, the gRPC counterpart of HTTP/1.1's {@code Connection: close}. (A server of
 *       the application's, {@link #attach}, closes its listener with the graceful {@code shutdown()} here: grpc-java
 *       has no other way; the GOAWAY then goes with it.)
 *   <li>DRAIN: the calls' scope is asked to stop ({@code Scope.stopRequested()} turns true in a handler): a
 *       server-streaming handler ends its stream with OK. The graceful {@code shutdown()} sends every connection its
 *       GOAWAY once none of them can race with it (each has a call in flight, has had a response with the trailer,
 *       or has been idle 100 ms; at most 200 ms after the drain began): calls in flight continue, and calls a client
 *       sent before it saw the GOAWAY are still served. Once no call is in flight (and the connections have closed,
 *       or 250 ms have passed), the server is awaited briefly and stopped, without waiting for a timer.
 *   <li>CANCEL: each call still running is cancelled: its scope (its handler is interrupted, its subtasks stop),
 *       its {@code io.grpc.Context}, and its client gets {@code CANCELLED}; then {@code shutdownNow()} (only now)
 *       and a short await. The report lists those calls as cancelled and their threads, if they do not end, as
 *       stragglers.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class QuiesceGrpc {
    private static final Logger LOG = LoggerFactory.getLogger(QuiesceGrpc.class);
    /** After the listener closed: a connection gets this long to leave before the drain ends without it. */
    private static final long CLOSE_GRACE_NANOS = Duration.ofMillis(250).toNanos();
    /** Before the GOAWAY: a connection idle this long is told to leave without waiting for its next call. */
    private static final long IDLE_NANOS = Duration.ofMillis(100).toNanos();
    /** Before the GOAWAY: the longest wait for connections to say goodbye (see {@link Connection}). */
    private static final long GOODBYE_NANOS = Duration.ofMillis(200).toNanos();

    private final Shutdown shutdown;
    private final HealthStatusManager health = new HealthStatusManager();
    private final GrpcIngress ingress;
    private final HandoffScope<GrpcCall<?, ?>> calls;
    private final CountDownLatch listenerClosed = new CountDownLatch(1);
    private final AtomicBoolean stopAcceptingCalled = new AtomicBoolean();
    private final AtomicBoolean goAwayCalled = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    /** HealthStatusManager.enterTerminalState() logs a warning with a stack trace when called twice. */
    private final AtomicBoolean healthTerminal = new AtomicBoolean();
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Made at start, not after the trigger. */
    private final Consumer<Readiness.State> readinessListener = this::readinessChanged;
    private volatile long listenerClosedNanos;
    /** The listening channels, when this class made them ({@link Builder}): closed at STOP_ACCEPTING, no GOAWAY. */
    private final List<ServerChannel> listeners = new CopyOnWriteArrayList<>();
    /** The event loops this class made for the server ({@link Builder}): shut down after it. */
    private volatile List<EventLoopGroup> ownLoops = List.of();
    private final AtomicBoolean goAwaySent = new AtomicBoolean();
    private volatile long goAwayRequestedNanos, goAwaySentNanos;
    private volatile Server server;
    private volatile List<InetSocketAddress> listening = List.of();

    private QuiesceGrpc(Shutdown shutdown) {
        this.shutdown = shutdown;
        this.ingress = new GrpcIngress(this, shutdown);
        this.calls = new HandoffScope<>("grpc", "call-", ingress.inFlight(), this::polling, this::drained,
                this::stopServer);
    }

    /** A builder for a Netty gRPC server that drains with {@code shutdown}. */
    public static Builder builder(Shutdown shutdown) {
        return new Builder(Objects.requireNonNull(shutdown, "shutdown"));
    }

    /**
     * Builds and starts the server the application configured with {@code builder} (its services, port,
     * executor, interceptors: Quiesce's interceptor runs first, the application's after it, in the call's thread),
     * draining with {@code shutdown}: adds Quiesce's interceptor, a transport filter and the health service, and
     * registers the {@link #ingress()}.
     *
     * @throws IllegalStateException if the shutdown has already started
     * @throws IOException if the server cannot start (e.g. its port is in use)
     */
    public static QuiesceGrpc attach(Shutdown shutdown, ServerBuilder<?> builder) throws IOException {
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(builder, "builder");
        QuiesceGrpc grpc = new QuiesceGrpc(shutdown);
        grpc.install(builder);
        return grpc.start(builder);
    }

    /** For {@link Builder}: a server on event loops and listening channels of this class's own. */
    private static QuiesceGrpc startOwn(Shutdown shutdown, NettyServerBuilder builder) throws IOException {
        QuiesceGrpc grpc = new QuiesceGrpc(shutdown);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        grpc.ownLoops = List.of(boss, workers);
        builder.bossEventLoopGroup(boss).workerEventLoopGroup(workers).channelFactory(() -> {
            NioServerSocketChannel c = new NioServerSocketChannel();
            grpc.listeners.add(c);
            return c;
        });
        grpc.install(builder);
        try {
            return grpc.start(builder);
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The gRPC server. */
    public Server server() {
        return server;
    }

    /** This server as the shutdown drives it, registered at start; see {@link Ingress}. */
    public Ingress ingress() {
        return ingress;
    }

    /**
     * The health service's status manager: {@code SERVING} for the service name {@code ""} once the shutdown's
     * readiness is {@code SERVING} ({@link Shutdown#markReady()}), {@code NOT_SERVING} before, and for every name
     * from the trigger on (then it ignores further updates). The application may set its services' own names.
     */
    public HealthStatusManager health() {
        return health;
    }

    /** The port the server listens on (the actual port when port 0 was asked for). */
    public int port() {
        List<InetSocketAddress> l = listening;
        return l.isEmpty() ? server.getPort() : l.get(0).getPort();
    }

    /** The address a client on this machine reaches the server at (loopback for a wildcard listener). */
    public InetSocketAddress address() {
        List<InetSocketAddress> l = listening;
        return l.isEmpty() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), port()) : l.get(0);
    }

    // ------------------------------------------------------------------ lifecycle

    private void install(ServerBuilder<?> builder) {
        builder.intercept(new CallInterceptor(ingress, calls)); // added last: runs first
        builder.addTransportFilter(new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
                // with its own listener closed, no one connects once the server is leaving; without (attach()), the
                // clients told to leave reconnect until the GOAWAY closes the listener, and are not waited for
                Connection c = new Connection(listeners.isEmpty() && ingress.counts().leaving());
                connections.add(c);
                return attrs.toBuilder().set(Connection.KEY, c).build();
            }

            @Override
            public void transportTerminated(Attributes attrs) {
                Connection c = attrs == null ? null : attrs.get(Connection.KEY);
                if (c != null) {
                    connections.remove(c);
                }
            }
        });
        builder.addService(health.getHealthService());
    }

    private QuiesceGrpc start(ServerBuilder<?> builder) throws IOException {
        if (shutdown.isShuttingDown()) {
            throw new IllegalStateException("the shutdown has already started: start the server before it");
        }
        readinessChanged(shutdown.readiness().get());
        calls.start(shutdown, "grpc", "the gRPC server");
        try {
            server = builder.build();
            server.start();
            listening = loopbackReachable(server.getListenSockets());
            shutdown.readiness().onChange(readinessListener);
            readinessChanged(shutdown.readiness().get()); // a change between the first look and the listener
            shutdown.ingress(ingress); // last: it throws if the shutdown has gone past STOP_ACCEPTING meanwhile
        } catch (IOException | RuntimeException e) {
            calls.force("the gRPC server did not start");
            stopServer(false);
            throw e;
        }
        LOG.info("gRPC server listening on {}", describeAddress());
        return this;
    }

    private static List<InetSocketAddress> loopbackReachable(List<? extends SocketAddress> addresses) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (SocketAddress a : addresses) {
            if (a instanceof InetSocketAddress i) {
                out.add(i.getAddress() == null || i.getAddress().isAnyLocalAddress()
                        ? new InetSocketAddress(InetAddress.getLoopbackAddress(), i.getPort()) : i);
            }
        }
        return List.copyOf(out);
    }

    /** The health service follows the readiness: NOT_SERVING until SERVING, and for good from DRAINING on. */
    private void readinessChanged(Readiness.State state) {
        if (state.compareTo(Readiness.State.DRAINING) >= 0) {
            healthNotServing();
        } else if (!healthTerminal.get()) {
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
                    state == Readiness.State.SERVING ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        }
    }

    /** Every service name NOT_SERVING, for good; once. */
    private void healthNotServing() {
        if (healthTerminal.compareAndSet(false, true)) {
            health.enterTerminalState();
        }
    }

    /** {@link #stopAccepting()} once; a later call waits until the listener is closed. */
    void stopAcceptingOnce() throws InterruptedException {
        if (stopAcceptingCalled.compareAndSet(false, true)) {
            stopAccepting();
        }
        listenerClosed.await();
    }

    /**
     * STOP_ACCEPTING: closes the listening channels this class made (connections stay, without a GOAWAY yet: see
     * {@link #goAway()}); for a server of the application's ({@link #attach}), the graceful {@code shutdown()},
     * the only way grpc-java closes a listener it made, which sends the GOAWAY too (after the goodbyes: see
     * {@link Connection}). Responses carry the going-away trailer from now on
     * ({@link dev.quiesce.shutdown.IngressCounts#leaving()}).
     */
    private void stopAccepting() {
        healthNotServing(); // already, from the readiness; for an application that stops the ingress itself
        if (!listeners.isEmpty()) {
            for (ServerChannel c : listeners) {
                c.close();
            }
        } else {
            awaitGoodbyes();
            sendGoAway();
        }
        HandoffScope.awaitRefused(listening, Duration.ofSeconds(2));
        listenerClosedNanos = System.nanoTime() | 1; // never 0
        listenerClosed.countDown();
        LOG.info("gRPC server stopped accepting on {}", describeAddress());
        calls.wake();
    }

    /** The graceful {@code shutdown()}: GOAWAY to every connection, calls in flight continue; once. */
    private void sendGoAway() {
        if (goAwaySent.compareAndSet(false, true)) {
            goAwaySentNanos = System.nanoTime();
            server.shutdown();
            LOG.info("gRPC server sent GOAWAY (calls in flight continue)");
        }
    }

    /**
     * From the calls' owner, while it waits: the GOAWAY that {@link #goAway()} asked for, once no connection's
     * next call can race with it (see {@link Connection}), at most {@link #GOODBYE_NANOS} after the request.
     */
    private void maybeGoAway() {
        long asked = goAwayRequestedNanos;
        if (asked == 0 || goAwaySent.get()) {
            return;
        }
        long now = System.nanoTime();
        if (now - asked >= GOODBYE_NANOS || readyForGoAway(now)) {
            sendGoAway();
        }
    }

    /** Whether the owner should poll (a GOAWAY or the end of the drain may be due) rather than sleep until a call. */
    boolean polling() {
        return listenerClosedNanos != 0 || goAwayRequestedNanos != 0;
    }

    /** {@link #goAway()} once. */
    void goAwayOnce() {
        if (goAwayCalled.compareAndSet(false, true)) {
            goAway();
        }
    }

    /**
     * DRAIN: health NOT_SERVING (already, since the trigger), the graceful {@code shutdown()} (GOAWAY; sent by the
     * calls' owner once the connections have said goodbye, within {@link #GOODBYE_NANOS}; already sent for a server
     * of the application's), and the calls' scope asked to stop: a streaming handler ends its stream. Returns at once.
     */
    private void goAway() {
        healthNotServing();
        goAwayRequestedNanos = System.nanoTime() | 1; // never 0
        calls.requestStop();
        calls.wake();
    }

    void forceClose() {
        calls.force("forceClose(): the grace period is over");
    }

    /**
     * Waits, at most {@link #GOODBYE_NANOS}, until no connection's next call can race with the GOAWAY: each has a
     * call in flight (whose response will say goodbye), has said it, or has been idle a while. See {@link Connection}.
     */
    private void awaitGoodbyes() {
        long start = System.nanoTime();
        for (;;) {
            long now = System.nanoTime();
            if (readyForGoAway(now) || now - start >= GOODBYE_NANOS) {
                return;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the budget share is over: GOAWAY now
                return;
            }
        }
    }

    private boolean readyForGoAway(long now) {
        for (Connection c : connections) {
            if (!c.readyForGoAway(now, IDLE_NANOS)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the drain is over: the listener is closed, the GOAWAY sent, no call is in flight, and the connections
     * have left (or 250 ms have passed since the GOAWAY: a call a client sent before it saw it is counted by then).
     */
    boolean drained() {
        maybeGoAway();
        return listenerClosedNanos != 0 && goAwaySent.get() && ingress.inFlight().inFlight() == 0
                && (connections.isEmpty() || System.nanoTime() - goAwaySentNanos >= CLOSE_GRACE_NANOS);
    }

    /**
     * Stops the server; once. {@code graceful}: the drain completed; the server's graceful shutdown is given a
     * moment to close the connections (idle ones, health watches), then shutdownNow(). Otherwise shutdownNow() at
     * once. Either way a short await follows.
     */
    void stopServer(boolean graceful) {
        if (!stopping.compareAndSet(false, true)) {
            return;
        }
        listenerClosed.countDown();
        Server s = server;
        if (s == null) {
            return;
        }
        boolean interrupted = Thread.interrupted();
        goAwaySent.set(true);
        try {
            if (graceful && !interrupted) {
                s.shutdown();
                if (s.awaitTermination(2, TimeUnit.SECONDS)) {
                    return;
                }
            }
            s.shutdownNow();
            if (!s.awaitTermination(1, TimeUnit.SECONDS)) {
                LOG.warn("the gRPC server had not terminated 1 s after shutdownNow()");
            }
        } catch (InterruptedException e) {
            interrupted = true;
            s.shutdownNow();
        } finally {
            for (EventLoopGroup g : ownLoops) {
                g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ description

    String describeAddress() {
        List<InetSocketAddress> l = listening;
        if (l.isEmpty()) {
            return "none";
        }
        InetSocketAddress a = l.get(0);
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * Configures a {@link QuiesceGrpc} server on Netty. Not thread-safe; use it from one thread.
     */
    public static final class Builder {
        private final Shutdown shutdown;
        private InetSocketAddress address; // no default: where to listen is a decision, see bind() and port()
        private final List<ServerServiceDefinition> services = new ArrayList<>();
        private final List<Consumer<NettyServerBuilder>> customizers = new ArrayList<>();

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
        }

        /**
         * Listens on every interface at {@code port} (what a container needs); 0 picks a free port
         * ({@link QuiesceGrpc#port()} tells which).
         *
         * @param port the port, 0..65535
         * @return this builder
         * @throws IllegalArgumentException if the port is not in 0..65535
         */
        public Builder port(int port) {
            return bind("0.0.0.0", port);
        }

        /**
         * Listens on {@code host:port}: {@code "0.0.0.0"} for every interface, {@code "127.0.0.1"} for this
         * machine only. Port 0 picks a free port.
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
            this.address = new InetSocketAddress(host, port);
            return this;
        }

        /**
         * Adds a service (a generated {@code *ImplBase}, or any {@link BindableService}).
         *
         * @param service the service
         * @return this builder
         */
        public Builder addService(BindableService service) {
            return addService(Objects.requireNonNull(service, "service").bindService());
        }

        /**
         * Adds a service definition.
         *
         * @param service the service definition
         * @return this builder
         */
        public Builder addService(ServerServiceDefinition service) {
            services.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /**
         * Configures the Netty server builder further (keep-alive, message size, TLS, interceptors of the
         * application's: they run after Quiesce's, in the call's thread), before Quiesce adds its own parts.
         *
         * @param customizer called once, at {@link #start()}
         * @return this builder
         */
        public Builder configure(Consumer<NettyServerBuilder> customizer) {
            customizers.add(Objects.requireNonNull(customizer, "customizer"));
            return this;
        }

        /**
         * Builds the server, starts it and registers it with the shutdown (a service, and
         * {@link QuiesceGrpc#ingress()} as an ingress).
         *
         * @return the started server
         * @throws IOException if the address cannot be bound (e.g. address already in use)
         * @throws IllegalStateException if the shutdown has already started, or neither {@link #port} nor
         *         {@link #bind} was called
         */
        public QuiesceGrpc start() throws IOException {
            if (address == null) {
                throw new IllegalStateException("no address to listen on: call port(p) or bind(host, port) before"
                        + " start(), e.g. port(50051) for other machines or bind(\"127.0.0.1\", 0) for this machine"
                        + " only on a free port");
            }
            // the interceptor only hands each call to its own thread: grpc's callbacks need no executor of their own
            NettyServerBuilder b = NettyServerBuilder.forAddress(address).directExecutor();
            for (ServerServiceDefinition s : services) {
                b.addService(s);
            }
            for (Consumer<NettyServerBuilder> c : customizers) {
                c.accept(b);
            }
            try {
                return startOwn(shutdown, b);
            } catch (IOException e) {
                var failed = new java.net.BindException("cannot listen on " + address.getHostString() + ":"
                        + address.getPort() + ": " + e.getMessage() + " (pick another port, or stop the process that"
                        + " holds it)");
                failed.initCause(e);
                throw failed;
            }
        }
    }
}
