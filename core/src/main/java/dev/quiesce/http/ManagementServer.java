package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.internal.ThreadDump;
import dev.quiesce.shutdown.DrainResult;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second, small listener for probes and operators, on its own JDK {@link HttpServer}: it is not an
 * {@linkplain dev.quiesce.shutdown.Ingress ingress}, so the shutdown neither closes it nor waits for it, and it
 * keeps answering while the service listener refuses connections and drains, until the process exits.
 *
 * {@snippet class=dev.quiesce.snippets.HttpSnippets region=management-server}
 *
 * <h2>Endpoints</h2>
 * <ul>
 *   <li>{@code GET /health/live}, {@code GET /health/ready}: as on {@link DrainingHttpServer} (the same JSON,
 *       503 with {@code Retry-After: 1} once readiness is not {@code SERVING}).
 *   <li>{@code GET /quiesce/tree}: the live scope tree, {@code {"scopes":[...]}} with each root scope's
 *       {@link dev.quiesce.ScopeSnapshot#toJson()} (thread ids included).
 *   <li>{@code GET /quiesce/report}: the {@link ShutdownReport} once the sequence has ended; before that, once
 *       the drain is over, the {@link DrainResult}; during the sequence, its phase; 404 with a JSON message
 *       before any shutdown.
 *   <li>{@code POST /quiesce/drain}: {@link Shutdown#drain()}: runs the sequence up to the end of the drain and
 *       answers, once the in-flight work is done, with the {@link DrainResult} as JSON; the next SIGTERM
 *       finishes the shutdown at once. For a Kubernetes preStop hook (see docs/kubernetes.md). A second
 *       request waits for, and gets, the same result. Other methods get 405. Optionally also on a Unix domain
 *       socket ({@link Builder#drainSocket}).
 * </ul>
 *
 * <p>Why a server of its own rather than a second port of {@link DrainingHttpServer}: the management listener
 * has the opposite lifecycle (it must not stop accepting, drain or be counted as work), and it serves a
 * shutdown whatever its service listener is (a {@code DrainingHttpServer}, Jetty, a gRPC server).
 *
 * <p>The server's threads are daemon threads (it never keeps the JVM alive); its exchanges run on virtual
 * threads outside the shutdown's scope tree. Bind it to an address only the kubelet and operators reach.
 * Thread-safe.
 */
public final class ManagementServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    /** What a draining readiness probe answers with: {@link DrainingHttpServer}'s default. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final HttpServer server;
    private final ExecutorService executor;
    private final DrainSocket drainSocket; // null without Builder.drainSocket

    private ManagementServer(HttpServer server, ExecutorService executor, DrainSocket drainSocket) {
        this.server = server;
        this.executor = executor;
        this.drainSocket = drainSocket;
    }

    /** A builder for a management server of {@code shutdown}. */
    public static Builder builder(Shutdown shutdown) {
        return new Builder(Objects.requireNonNull(shutdown, "shutdown"));
    }

    /**
     * Stops the server at once (a {@code POST /quiesce/drain} still waiting is answered 503). Not needed for the
     * shutdown: the server's threads are daemons, and it stays up until the process exits.
     */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        if (drainSocket != null) {
            drainSocket.close();
        }
    }

    /** The port the server listens on (the actual one when port 0 was asked for). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Configures a {@link ManagementServer}. Not thread-safe; use it from one thread. */
    public static final class Builder {
        private final Shutdown shutdown;
        private InetSocketAddress address;
        private URI afterDrain;
        private Path drainSocket;

        private Builder(Shutdown shutdown) {
            this.shutdown = shutdown;
        }

        /**
         * Listens on {@code host:port} (port 0 picks a free one). As for {@link DrainingHttpServer.Builder#bind},
         * {@code "0.0.0.0"} accepts connections from other machines (the kubelet's probes need that),
         * {@code "127.0.0.1"} from this machine only (enough for an exec preStop hook).
         *
         * @throws IllegalArgumentException if the port is not in 0..65535 or the host is empty or cannot be resolved
         */
        public Builder bind(String host, int port) {
            this.address = Binding.of(host, port);
            return this;
        }

        /**
         * A URL to {@code POST} to (an empty body) in {@link dev.quiesce.shutdown.Phase#CLEANUP}, once the work
         * has drained and the state is persisted: e.g. a sidecar's quit endpoint
         * ({@code http://127.0.0.1:15020/quitquitquit} for Istio), so that the sidecar outlives the drain. It is a
         * cleanup resource named {@code after-drain callout}, registered by {@link #start()} (resources close in
         * reverse order of registration: start this server first for the callout to run last); its outcome
         * (a status other than 2xx is a failure) is in the report's hooks.
         *
         * @throws IllegalArgumentException if the URI is not an absolute {@code http} or {@code https} URL
         */
        public Builder afterDrainCallout(URI uri) {
            Objects.requireNonNull(uri, "uri");
            if (!uri.isAbsolute() || !("http".equalsIgnoreCase(uri.getScheme())
                    || "https".equalsIgnoreCase(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("after-drain callout '" + uri + "' is not an absolute http(s) URL:"
                        + " e.g. http://127.0.0.1:15020/quitquitquit");
            }
            this.afterDrain = uri;
            return this;
        }

        /**
         * Also serves {@code POST /quiesce/drain} on a Unix domain socket at {@code path}, for a preStop hook
         * ({@code curl --unix-socket PATH -X POST http://localhost/quiesce/drain}) without a port anyone else can
         * reach; the file's permissions decide who may drain. A socket file already there (an earlier run's) is
         * replaced; {@link ManagementServer#close()} removes it.
         */
        public Builder drainSocket(Path path) {
            this.drainSocket = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Binds and starts the server (and registers the after-drain callout, if any).
         *
         * @throws IOException if the address cannot be bound (e.g. {@code BindException: Address already in use})
         * @throws IllegalStateException if {@link #bind} was not called, or (with a callout) the shutdown has
         *     already reached its cleanup phase
         */
        public ManagementServer start() throws IOException {
            if (address == null) {
                throw new IllegalStateException("no address to listen on: call bind(host, port) before start(), e.g."
                        + " bind(\"0.0.0.0\", 9090)");
            }
            HttpServer server = HttpServer.create(address, 64);
            ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
            server.setExecutor(executor);
            server.createContext("/health/live", new HealthHandler(shutdown, false, RETRY_AFTER));
            server.createContext("/health/ready", new HealthHandler(shutdown, true, RETRY_AFTER));
            server.createContext("/quiesce/tree", get(ex -> Responses.sendJson(ex, 200, ThreadDump.treeJson())));
            server.createContext("/quiesce/report", get(ex -> report(shutdown, ex)));
            server.createContext("/quiesce/drain", new DrainHandler(shutdown));
            server.createContext("/", ex -> {
                try (ex) {
                    Responses.sendJson(ex, 404, Map.of("error", "no management endpoint " + ex.getRequestURI()
                            .getPath() + ": see /health/live, /health/ready, /quiesce/tree, /quiesce/report, "
                            + "POST /quiesce/drain"), false);
                }
            });
            if (afterDrain != null) {
                shutdown.onCleanup("after-drain callout", new Callout(afterDrain));
            }
            DrainSocket socket = drainSocket == null ? null : DrainSocket.start(shutdown, drainSocket);
            startAsDaemon(server);
            LOG.info("management listener on {}", server.getAddress());
            return new ManagementServer(server, executor, socket);
        }
    }

    /**
     * Starts {@code server} from a daemon thread: the JDK server's dispatcher thread inherits the daemon status
     * of the thread that starts it, and a management listener must never keep the JVM alive.
     */
    private static void startAsDaemon(HttpServer server) {
        try {
            CompletableFuture.runAsync(server::start, Thread.ofPlatform().daemon(true)
                    .name("quiesce-management-start")::start).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** GET and HEAD only; others get 405 with {@code Allow}. */
    private static HttpHandler get(HttpHandler h) {
        return ex -> {
            try (ex) {
                String m = ex.getRequestMethod();
                if (m.equalsIgnoreCase("GET") || m.equalsIgnoreCase("HEAD")) {
                    h.handle(ex);
                } else {
                    ex.getResponseHeaders().set("Allow", "GET, HEAD");
                    Responses.sendJson(ex, 405, Map.of("error", m + " is not allowed here: use GET"), false);
                }
            }
        };
    }

    private static void report(Shutdown shutdown, HttpExchange ex) {
        Optional<ShutdownReport> report = shutdown.report();
        Optional<DrainResult> drain = shutdown.drainResult();
        if (report.isPresent()) {
            Responses.sendJson(ex, 200, report.get().toJson());
        } else if (drain.isPresent()) {
            Responses.sendJson(ex, 200, "{\"inProgress\":true,\"phase\":\"" + shutdown.phase().map(Enum::name)
                    .orElse("DRAIN") + "\",\"drain\":" + drain.get().toJson() + "}");
        } else if (shutdown.isShuttingDown()) {
            Responses.sendJson(ex, 200, "{\"inProgress\":true,\"phase\":\"" + shutdown.phase().map(Enum::name)
                    .orElse("TRIGGER") + "\"}");
        } else {
            Responses.sendJson(ex, 404, Map.of("error", "no shutdown has started, so there is no report yet: it is"
                    + " here once the sequence starts (SIGTERM, or POST /quiesce/drain)"), false);
        }
    }

    /** What the drain endpoint answers: a status, a JSON body, and the {@code Allow} header of a 405 (else null). */
    record Answer(int status, String json, String allow) {}

    /** {@code POST /quiesce/drain}: {@link Shutdown#drain()}, answered once the drain is over; other methods 405. */
    static Answer drainAnswer(Shutdown shutdown, String method) {
        if (!method.equalsIgnoreCase("POST")) {
            return new Answer(405, Responses.toJson(Map.of("error", method + " is not allowed here: POST "
                    + "/quiesce/drain starts the drain and answers when it is done")), "POST");
        }
        LOG.info("POST /quiesce/drain: draining");
        try {
            return new Answer(200, shutdown.drain().toJson(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, Responses.toJson(Map.of("error", "the management server stopped before the drain "
                    + "was done; GET /quiesce/report shows how far it got")), null);
        } catch (IllegalStateException e) {
            LOG.warn("POST /quiesce/drain: {}", e.getMessage());
            return new Answer(500, Responses.toJson(Map.of("error", "the shutdown sequence failed before the end of "
                    + "its drain: see the service's log")), null);
        }
    }

    /** {@code POST /quiesce/drain} on the management port. */
    private record DrainHandler(Shutdown shutdown) implements HttpHandler {
        @Override
        public void handle(HttpExchange ex) {
            try (ex) {
                Answer a = drainAnswer(shutdown, ex.getRequestMethod());
                if (a.allow() != null) {
                    ex.getResponseHeaders().set("Allow", a.allow());
                }
                Responses.sendJson(ex, a.status(), a.json());
            }
        }
    }

    /** The after-drain callout: a cleanup resource whose close POSTs to the URL. */
    private static final class Callout implements AutoCloseable {
        private static final int TIMEOUT_MILLIS = 2_000;
        private final URI uri;

        Callout(URI uri) throws IOException {
            this.uri = uri;
            // loads and links the URL handler and connection classes now, not in the cleanup phase
            uri.toURL().openConnection();
        }

        @Override
        public void close() throws IOException {
            URLConnection c = uri.toURL().openConnection();
            var http = (HttpURLConnection) c;
            http.setConnectTimeout(TIMEOUT_MILLIS);
            http.setReadTimeout(TIMEOUT_MILLIS);
            http.setRequestMethod("POST");
            http.setDoOutput(true);
            http.setFixedLengthStreamingMode(0);
            try {
                try (OutputStream out = http.getOutputStream()) {
                    out.flush();
                }
                int status = http.getResponseCode();
                try (InputStream in = status >= 400 ? http.getErrorStream() : http.getInputStream()) {
                    if (in != null) {
                        in.readAllBytes();
                    }
                }
                if (status < 200 || status > 299) {
                    throw new IOException("POST " + uri + " answered " + status + ", not 2xx");
                }
                LOG.info("after-drain callout: POST {} answered {}", uri, status);
            } finally {
                http.disconnect();
            }
        }

        @Override
        public String toString() {
            return "POST " + uri;
        }
    }
}
