package dev.quiesce.snippets;

import com.sun.net.httpserver.HttpHandler;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.shutdown.AtomicFiles;
import dev.quiesce.shutdown.Shutdown;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.MDC;

/**
 * Every Java example of README.md, as regions named {@code readme-...} (the {@code @start} and
 * {@code @end} markup comments of javadoc's {@code {@snippet}}): {@link ReadmeExamplesTest} checks that each README block
 * is one of these regions, and {@link SnippetsTest} runs them. To change a README example, change it here
 * and copy the region (as javadoc would render it: markup comments applied and removed, indentation
 * stripped) into the README.
 */
final class ReadmeExamples {
    private final Repository users = id -> "user-" + id + " ";
    private final Repository orders = id -> "order-" + id;

    /** "A short tour", Scopes. */
    String checkout(String id) throws InterruptedException {
        // @start region="readme-scopes"
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(),
                cfg -> cfg.withName("checkout").withTimeout(Duration.ofSeconds(2)))) {
            Subtask<String> user  = scope.fork(() -> users.fetch(id));
            Subtask<String> order = scope.fork(() -> orders.fetch(id));
            scope.join();              // the first failure cancels the other and is thrown (the rest suppressed)
            return user.get() + order.get();
        }                              // close(): waits for every thread, bounded by the close timeout
        // @end
    }

    static final ScopedValue<String> USER = ScopedValue.newInstance();

    /** "A short tour", Context: run with {@link #USER} bound. */
    String orderOf(String requestId) throws InterruptedException {
        // @start region="readme-context"
        MDC.put("request", requestId);                      // copied into every fork: ContextPropagator.mdc()
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(),
                cfg -> cfg.withScopedValues(USER))) {        // re-bound in each fork (Java 25+)
            Subtask<String> order = scope.fork(() -> orders.fetch(USER.get() + "/" + MDC.get("request")));
            scope.join();
            return order.get();
        }
        // @end
    }

    /**
     * "A short tour", Shutdown: a whole service, run in a child JVM that the test sends SIGTERM. Arguments:
     * the state file and the port. The README shows {@code .bind("0.0.0.0", 8080)} (the {@code @replace}
     * markup); the test binds 127.0.0.1 and passes port 0, so it never needs a fixed port or other interfaces. Prints {@code READY <port>}.
     */
    public static void main(String[] args) throws Exception {
        Path stateFile = Path.of(args[0]);
        String host = "127.0.0.1";
        int port = Integer.parseInt(args[1]);
        State state = new State(42);
        AutoCloseable pool = () -> System.out.println("CLOSED db-pool");
        HttpHandler handler = exchange -> {
            byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        };
        // @start region="readme-shutdown"
        // The phases must fit the platform budget minus the margin (default 2 s): 5 s pre-drain + 1 s stop
        // accepting + 12 s grace + 2 s cancel grace + 4 s persist + 4 s cleanup (defaults) = 28 s.
        var shutdown = Shutdown.builder()
                .platformBudget(Duration.ofSeconds(30))      // terminationGracePeriodSeconds
                .preDrainDelay(Duration.ofSeconds(5))        // readiness 503 before the listener closes
                .gracePeriod(Duration.ofSeconds(12))         // in-flight work may finish
                .start();                                    // SIGTERM/SIGINT start it, SIGHUP reloads
        shutdown.onCleanup("db-pool", pool);                 // closed last: registered first
        shutdown.onPersist("state", budget -> AtomicFiles.writeString(stateFile, state.toJson()));
        shutdown.fork("worker", () -> { while (!Scope.stopRequested()) work(); });
        var http = DrainingHttpServer.builder(shutdown).bind(host, port).route("/work", handler).start(); // @replace substring="bind(host, port)" replacement='bind("0.0.0.0", 8080)'
        shutdown.markReady();                                // /health/ready answers 200
        // @end
        System.out.println("READY " + http.port());
    }

    // ------------------------------------------------------------------ stand-ins

    @FunctionalInterface
    interface Repository {
        String fetch(String id) throws InterruptedException;
    }

    private static final AtomicBoolean WORKING = new AtomicBoolean();

    /** One unit of a service's work (10 ms of it); says WORKING the first time. */
    static void work() throws InterruptedException {
        if (WORKING.compareAndSet(false, true)) {
            System.out.println("WORKING");
        }
        Thread.sleep(Duration.ofMillis(10));
    }

    record State(int orders) {
        String toJson() {
            return "{\"orders\":" + orders + "}";
        }
    }
}
