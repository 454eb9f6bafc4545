package dev.quiesce.snippets;

import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.http.ManagementServer;
import dev.quiesce.shutdown.Shutdown;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The code example of {@code DrainingHttpServer}'s Javadoc, compiled here and run in a child JVM by
 * {@link SnippetsTest} (it starts a {@link Shutdown} with signal handlers and the exit policy EXIT).
 */
final class HttpSnippets {
    private HttpSnippets() {}

    /**
     * Argument: the port. The documentation shows {@code .bind("0.0.0.0", 8080)} (the {@code @replace} markup,
     * which javadoc applies when it renders the region); the test binds 127.0.0.1 and passes port 0, so that it
     * never needs port 8080 free on the build machine, nor listens on other interfaces. Prints {@code READY <port>} once the server is ready.
     */
    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = Integer.parseInt(args[0]);
        // @start region="draining-http-server"
        var shutdown = Shutdown.builder()
                .preDrainDelay(Duration.ofSeconds(5))
                .gracePeriod(Duration.ofSeconds(12)) // the phases must fit 30 s minus a 2 s margin (see Shutdown)
                .start();
        var server = DrainingHttpServer.builder(shutdown)
                .bind(host, port) // @replace substring="bind(host, port)" replacement='bind("0.0.0.0", 8080)'
                .route("/work", exchange -> {
                    byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(200, body.length);
                    try (var out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                })
                .start();
        // @start region="management-server"
        // probes, the live scope tree, the report and the preStop drain, on a port of their own that stays up
        // while the service port drains
        var management = ManagementServer.builder(shutdown)
                .bind(host, 0) // @replace substring="bind(host, 0)" replacement='bind("0.0.0.0", 9090)'
                .start();
        // @end
        shutdown.markReady();
        // @end
        System.out.println("READY " + server.port() + " management " + management.port());
    }
}
