package dev.quiesce.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.Scope;
import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.http.ManagementServer;
import dev.quiesce.shutdown.AtomicFiles;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The flagship demo service: an HTTP API with slow endpoints, a background worker, a "database
 * pool" that must outlive every request, and in-memory state persisted on shutdown. Started by
 * {@link Demo} ({@code serve}), it prints its phases and its report when it is stopped.
 *
 * <p>Contract (kept for load tools and the end-to-end tests): it prints
 * {@code listening on http://127.0.0.1:PORT} once it accepts requests; {@code GET /work?ms=N} answers
 * 200 after about N ms of work; {@code /health/live} and {@code /health/ready} follow the shutdown's
 * readiness; on SIGTERM it drains, writes its state to the state file atomically, prints its report
 * and exits 0.
 */
final class DemoService {
    private DemoService() {}

    /** Requests of a second or more in flight (GET /state shows it): tests use it to SIGTERM mid-request. */
    static final AtomicLong SLOW_IN_FLIGHT = new AtomicLong();

    /**
     * Settings of the service; every duration is in milliseconds on the command line. The timings can also come
     * from the environment, under the names {@code quiesce check} reads ({@code QUIESCE_PRE_DRAIN_MS},
     * {@code QUIESCE_GRACE_MS}, {@code QUIESCE_CANCEL_GRACE_MS}, {@code QUIESCE_BUDGET_MS}), and the management
     * port from {@code QUIESCE_MANAGEMENT_PORT}; a flag wins over the environment. {@code managementPort} is -1
     * for no management listener, {@code grpcPort} -1 for no gRPC listener ({@code --grpc-port}).
     */
    record Settings(String host, int port, Path state, Duration preDrain, Duration grace, Duration cancelGrace,
            Duration budget, boolean naive, ServerKind server, int managementPort, int grpcPort) {

        /** Settings without a gRPC listener. */
        Settings(String host, int port, Path state, Duration preDrain, Duration grace, Duration cancelGrace,
                Duration budget, boolean naive, ServerKind server, int managementPort) {
            this(host, port, state, preDrain, grace, cancelGrace, budget, naive, server, managementPort, -1);
        }

        /** Settings without a management listener. */
        Settings(String host, int port, Path state, Duration preDrain, Duration grace, Duration cancelGrace,
                Duration budget, boolean naive, ServerKind server) {
            this(host, port, state, preDrain, grace, cancelGrace, budget, naive, server, -1);
        }

        /** The environment variables the service reads, each the name of an option's value. */
        static final Map<String, String> ENV = Map.of("--pre-drain-ms", "QUIESCE_PRE_DRAIN_MS", "--grace-ms",
                "QUIESCE_GRACE_MS", "--cancel-grace-ms", "QUIESCE_CANCEL_GRACE_MS", "--budget-ms", "QUIESCE_BUDGET_MS",
                "--management-port", "QUIESCE_MANAGEMENT_PORT");

        /** The defaults, which {@link Demo#USAGE} shows. */
        static final String DEFAULT_HOST = "127.0.0.1";
        static final int DEFAULT_PORT = 0;
        /** Relative: in the working directory of the process (git-ignored at the repository's root). */
        static final String DEFAULT_STATE = "quiesce-demo-state.json";
        static final Duration DEFAULT_PRE_DRAIN = Duration.ofSeconds(1);
        static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
        static final Duration DEFAULT_CANCEL_GRACE = Duration.ofSeconds(1);
        static final Duration DEFAULT_BUDGET = Duration.ofSeconds(30);

        /**
         * Parses the options from {@code args[from]} on.
         *
         * @throws IllegalArgumentException with a message that names the option and what it takes
         */
        static Settings parse(String[] args, int from) {
            return parse(args, from, System.getenv());
        }

        /**
         * Parses the options from {@code args[from]} on, over the values in {@code env} (see {@link #ENV}).
         *
         * @throws IllegalArgumentException with a message that names the option or variable and what it takes
         */
        static Settings parse(String[] args, int from, Map<String, String> env) {
            String host = DEFAULT_HOST;
            int port = DEFAULT_PORT;
            Path state = Path.of(DEFAULT_STATE);
            Duration preDrain = envMs(env, "--pre-drain-ms", DEFAULT_PRE_DRAIN);
            Duration grace = envMs(env, "--grace-ms", DEFAULT_GRACE);
            Duration cancelGrace = envMs(env, "--cancel-grace-ms", DEFAULT_CANCEL_GRACE);
            Duration budget = envMs(env, "--budget-ms", DEFAULT_BUDGET);
            String managementEnv = env.get(ENV.get("--management-port"));
            int managementPort = managementEnv == null ? -1
                    : (int) number(new String[] {managementEnv}, 0, ENV.get("--management-port"));
            boolean naive = false;
            ServerKind server = ServerKind.JDK;
            int grpcPort = -1;
            for (int i = from; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--host" -> host = value(args, ++i, a);
                    case "--port" -> port = (int) number(args, ++i, a);
                    case "--state" -> state = Path.of(value(args, ++i, a));
                    case "--pre-drain-ms" -> preDrain = Duration.ofMillis(number(args, ++i, a));
                    case "--grace-ms" -> grace = Duration.ofMillis(number(args, ++i, a));
                    case "--cancel-grace-ms" -> cancelGrace = Duration.ofMillis(number(args, ++i, a));
                    case "--budget-ms" -> budget = Duration.ofMillis(number(args, ++i, a));
                    case "--naive" -> naive = true;
                    case "--management-port" -> managementPort = (int) number(args, ++i, a);
                    case "--server" -> server = ServerKind.parse(value(args, ++i, a));
                    case "--grpc-port" -> grpcPort = (int) number(args, ++i, a);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            return new Settings(host, port, state, preDrain, grace, cancelGrace, budget, naive, server, managementPort,
                    grpcPort);
        }

        /** The value of {@code option}'s environment variable, if it is set, else {@code dflt}. */
        private static Duration envMs(Map<String, String> env, String option, Duration dflt) {
            String name = ENV.get(option);
            String v = env.get(name);
            return v == null ? dflt : Duration.ofMillis(number(new String[] {v}, 0, name));
        }

        private static long number(String[] args, int i, String option) {
            String v = value(args, i, option);
            long n;
            try {
                n = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes a whole number, was '" + v + "'");
            }
            if ((option.equals("--port") || option.endsWith("MANAGEMENT_PORT") || option.equals("--management-port")
                    || option.equals("--grpc-port"))
                    && (n < 0 || n > 65_535)) {
                throw new IllegalArgumentException(option + " takes 0 (any free port) to 65535, was " + n);
            }
            if (n < 0) {
                throw new IllegalArgumentException(option + " takes a number of milliseconds, 0 or more, was " + n);
            }
            return n;
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return args[i];
        }
    }

    /** The HTTP server the service runs on ({@code --server}): the JDK's {@code HttpServer} or Jetty 12. */
    enum ServerKind {
        /** The JDK's {@code HttpServer} ({@code DrainingHttpServer}): HTTP/1.1. */
        JDK,
        /** Jetty 12 ({@code QuiesceJetty}): HTTP/1.1 and h2c on the same port. */
        JETTY;

        /** The option's value: {@code jdk} or {@code jetty}. */
        String option() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static ServerKind parse(String v) {
            for (ServerKind k : values()) {
                if (k.option().equals(v)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--server takes jdk or jetty, was '" + v + "'");
        }
    }

    /** An answer of the service's API: a status and a JSON body. */
    record Reply(int status, String json) {}

    /** One endpoint of the service's API, whichever server runs it. */
    interface Route {
        /**
         * Answers a request.
         *
         * @param method the request's method
         * @param rawQuery the request's raw query, or null
         * @throws IOException with the interrupt status set when the request was cancelled (the server answers 503)
         */
        Reply answer(String method, String rawQuery) throws IOException;
    }

    /**
     * A stand-in for a JDBC pool: requests borrow a connection; closing it while connections are out
     * breaks those requests, which is exactly what an unordered shutdown does.
     */
    static final class Pool implements AutoCloseable {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition returned = lock.newCondition();
        private int borrowed;
        private boolean closed;

        /** Runs {@code work} with a connection; fails if the pool is closed. */
        void withConnection(Runnable work) {
            lock.lock();
            try {
                if (closed) {
                    throw new IllegalStateException("connection pool is closed");
                }
                borrowed++;
            } finally {
                lock.unlock();
            }
            try {
                work.run();
            } finally {
                lock.lock();
                try {
                    borrowed--;
                    returned.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        /** Refuses new borrowers, then waits for the borrowed connections to come back. */
        @Override
        public void close() {
            lock.lock();
            try {
                closed = true;
                while (borrowed > 0) {
                    try {
                        returned.await(); // bounded by the shutdown's per-resource timeout, which interrupts
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("pool closed with " + borrowed + " connections still borrowed");
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** A started service. */
    record Running(Shutdown shutdown, int port) {}

    /**
     * Starts the service; returns once it accepts requests. The shutdown (SIGTERM) exits the process.
     *
     * <p>A SIGTERM during start-up (from the moment the shutdown has started; before that the JVM's own
     * handling exits with 143) is not an error: the rest of the start-up is skipped with one line of output,
     * and the sequence, which the signal started, finishes and exits. The service never became ready, so
     * there is no pre-drain delay and the state file is left as the previous run wrote it.
     *
     * @return the running service; its port is -1 if the shutdown started during start-up
     */
    static Running serve(Settings s, PrintStream out) throws IOException {
        Map<String, Long> state = new ConcurrentHashMap<>(load(s.state()));
        var served = new AtomicLong(state.getOrDefault("served", 0L));
        var ticks = new AtomicLong(state.getOrDefault("workerTicks", 0L));

        Shutdown shutdown = Shutdown.builder()
                .name("demo")
                .platformBudget(s.budget())
                .preDrainDelay(s.preDrain())
                .gracePeriod(s.grace())
                .cancelGrace(s.cancelGrace())
                .persistBudget(Duration.ofSeconds(2))
                .cleanupBudget(Duration.ofSeconds(2))
                .onPhase(printing(out))
                .start();
        try {
            return startServing(s, out, shutdown, state, served, ticks);
        } catch (IllegalStateException e) {
            if (!shutdown.isShuttingDown()) {
                throw e;
            }
            return stoppedInStartup(out, shutdown);
        }
    }

    /** Prints each phase as it starts and ends, then the report (text and JSON): the demo's shutdown output. */
    static Shutdown.PhaseListener printing(PrintStream out) {
        return new Shutdown.PhaseListener() {
            @Override
            public void started(Phase phase) {
                out.println("[shutdown] " + phase + " ...");
            }

            @Override
            public void ended(ShutdownReport.PhaseTiming t) {
                out.println("[shutdown] " + t.phase() + ": " + t.note() + " (" + t.duration().toMillis() + " ms)");
            }

            @Override
            public void reported(ShutdownReport report) {
                out.print(report.toText());
                out.println("report json: " + report.toJson());
            }
        };
    }

    /**
     * The service's background parts, registered with {@code shutdown}: the pool (closed in the cleanup phase), the
     * worker (ticking until the drain asks it to stop) and the state (written atomically in the persist phase).
     *
     * @return the pool, for the requests
     */
    static Pool background(Shutdown shutdown, Settings s, PrintStream out, Map<String, Long> state, AtomicLong served,
            AtomicLong ticks) {
        var pool = new Pool();
        shutdown.onCleanup("db-pool", pool); // registered first: closed last, after the server

        shutdown.fork("worker", () -> {
            while (!Scope.stopRequested()) { // finishes its current tick, then returns
                pool.withConnection(ticks::incrementAndGet);
                shutdown.awaitStopRequested(Duration.ofMillis(100)); // the tick interval, cut short by the drain
            }
        });

        shutdown.onPersist("state", budget -> {
            state.put("served", served.get());
            state.put("workerTicks", ticks.get());
            AtomicFiles.writeString(s.state(), toJson(state));
            out.println("[state] wrote " + s.state() + " (" + toJson(state) + ") with " + budget.toMillis()
                    + " ms of budget");
        });
        return pool;
    }

    /** {@code GET /state}: the counts, and the slow requests in flight. */
    static Reply stateReply(Map<String, Long> state, AtomicLong served, AtomicLong ticks) {
        state.put("served", served.get());
        state.put("workerTicks", ticks.get());
        var view = new TreeMap<>(state);
        view.put("slowInFlight", SLOW_IN_FLIGHT.get());
        return new Reply(200, toJson(view));
    }

    private static Running stoppedInStartup(PrintStream out, Shutdown shutdown) {
        out.println("[demo] the shutdown started during start-up: not starting the rest; the shutdown sequence"
                + " finishes and exits");
        return new Running(shutdown, -1);
    }

    private static Running startServing(Settings s, PrintStream out, Shutdown shutdown, Map<String, Long> state,
            AtomicLong served, AtomicLong ticks) throws IOException {
        Pool pool = background(shutdown, s, out, state, served, ticks);

        Map<String, Route> routes = new TreeMap<>();
        routes.put("/work", (method, query) -> work(method, query, pool, served));
        routes.put("/state", (method, query) -> stateReply(state, served, ticks));
        int port = s.server() == ServerKind.JETTY ? DemoJetty.serve(shutdown, s, routes) : serveOnJdk(shutdown, s, routes);
        if (s.managementPort() >= 0) {
            var management = ManagementServer.builder(shutdown).bind(s.host(), s.managementPort()).start();
            out.println("management on http://" + s.host() + ":" + management.port());
        }
        // beside the HTTP listener, on the same shutdown; DemoGrpc (and grpc-java) only load when asked for
        int grpcPort = s.grpcPort() >= 0 ? DemoGrpc.serve(shutdown, s.host(), s.grpcPort(), routes.get("/work")) : -1;
        if (!shutdown.markReady()) { // a SIGTERM since the server started: it closes with the sequence
            return stoppedInStartup(out, shutdown);
        }
        out.println("listening on http://" + s.host() + ":" + port);
        if (grpcPort >= 0) {
            out.println("grpc listening on " + s.host() + ":" + grpcPort);
        }
        return new Running(shutdown, port);
    }

    private static int serveOnJdk(Shutdown shutdown, Settings s, Map<String, Route> routes) throws IOException {
        DrainingHttpServer.Builder server = DrainingHttpServer.builder(shutdown).bind(s.host(), s.port());
        routes.forEach((path, route) -> server.route(path, exchange -> respond(exchange,
                route.answer(exchange.getRequestMethod(), exchange.getRequestURI().getRawQuery()))));
        return server.start().port();
    }

    /**
     * The negative control: the same endpoint on a plain HttpServer, no draining; SIGTERM kills it mid-request. On
     * Jetty ({@code --server jetty}): plain Jetty with its own graceful stop ({@link DemoJetty#serveNaive}).
     */
    static void serveNaive(Settings s, PrintStream out) throws IOException {
        var pool = new Pool();
        var served = new AtomicLong();
        var inFlight = new AtomicLong();
        Map<String, Route> routes = new TreeMap<>();
        routes.put("/work", (method, query) -> {
            inFlight.incrementAndGet();
            try {
                return work(method, query, pool, served);
            } finally {
                inFlight.decrementAndGet();
            }
        });
        routes.put("/health/ready", (method, query) -> new Reply(200, "{\"status\":\"SERVING\",\"inFlight\":"
                + inFlight.get() + "}"));
        routes.put("/state", (method, query) -> new Reply(200, "{\"served\":" + served.get() + ",\"slowInFlight\":"
                + SLOW_IN_FLIGHT.get() + "}"));
        if (s.server() == ServerKind.JETTY) {
            int port = DemoJetty.serveNaive(s, routes);
            out.println("listening on http://" + s.host() + ":" + port + " (naive: Jetty's own graceful stop, no"
                    + " Quiesce)");
            return;
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(s.host(), s.port()), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        routes.forEach((path, route) -> server.createContext(path, exchange -> {
            try (exchange) {
                respond(exchange, route.answer(exchange.getRequestMethod(), exchange.getRequestURI().getRawQuery()));
            }
        }));
        server.start();
        out.println("listening on http://" + s.host() + ":" + server.getAddress().getPort() + " (naive: no draining)");
    }

    /** {@code GET /work?ms=N}: N ms of work with a pool connection, then 200. */
    static Reply work(String method, String rawQuery, Pool pool, AtomicLong served) throws IOException {
        if (!method.equals("GET")) {
            return new Reply(405, "{\"error\":\"use GET\"}");
        }
        long ms;
        try {
            ms = Long.parseLong(query(rawQuery, "ms", "100"));
        } catch (NumberFormatException e) {
            return new Reply(400, "{\"error\":\"ms must be a whole number of milliseconds\"}");
        }
        if (ms < 0 || ms > 600_000) {
            return new Reply(400, "{\"error\":\"ms must be between 0 and 600000\"}");
        }
        var interrupted = new boolean[1];
        boolean slow = ms >= 1000;
        if (slow) {
            SLOW_IN_FLIGHT.incrementAndGet();
        }
        try {
            pool.withConnection(() -> {
                try {
                    Thread.sleep(ms); // the "work": a query that takes ms milliseconds
                } catch (InterruptedException e) {
                    interrupted[0] = true;
                }
            });
        } finally {
            if (slow) {
                SLOW_IN_FLIGHT.decrementAndGet();
            }
        }
        if (interrupted[0]) {
            // cancelled by the shutdown after its grace period: let the server answer 503
            Thread.currentThread().interrupt();
            throw new IOException("request cancelled after " + ms + " ms of work was asked");
        }
        served.incrementAndGet();
        return new Reply(200, "{\"slept\":" + ms + "}");
    }

    private static String query(String q, String name, String dflt) {
        if (q != null) {
            for (String kv : q.split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0 && kv.substring(0, eq).equals(name)) {
                    return kv.substring(eq + 1);
                }
            }
        }
        return dflt;
    }

    static void respond(HttpExchange exchange, Reply reply) throws IOException {
        respond(exchange, reply.status(), reply.json());
    }

    static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(body);
        }
    }

    static String toJson(Map<String, Long> m) {
        var sb = new StringBuilder("{");
        for (Map.Entry<String, Long> e : new TreeMap<>(m).entrySet()) {
            sb.append(sb.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(e.getValue());
        }
        return sb.append('}').toString();
    }

    /** Reads the flat {"name":number,...} state this service writes; missing file: empty state. */
    static Map<String, Long> load(Path file) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        if (!Files.exists(file)) {
            return m;
        }
        String s = Files.readString(file).trim();
        if (s.length() < 2) {
            return m;
        }
        for (String kv : s.substring(1, s.length() - 1).split(",")) {
            int colon = kv.indexOf(':');
            if (colon > 0) {
                m.put(kv.substring(0, colon).trim().replace("\"", ""), Long.parseLong(kv.substring(colon + 1).trim()));
            }
        }
        return m;
    }
}
