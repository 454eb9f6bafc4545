package dev.quiesce.jetty;

import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;

/**
 * The root README's Jetty examples (the tour's "Jetty" paragraph), as the regions {@code readme-jetty-builder}
 * and {@code readme-jetty-attach}: core's {@code ReadmeExamplesTest} checks that the README's blocks are these
 * regions, {@link ReadmeExamplesTest} runs them.
 */
final class ReadmeExamples {
    private ReadmeExamples() {}

    /** A server the builder makes. */
    static QuiesceJetty built(Shutdown shutdown, Handler app, String host, int port) throws IOException {
        // @start region="readme-jetty-builder"
        // @replace substring="bind(host, port)" replacement='bind("0.0.0.0", 8080)':
        var jetty = QuiesceJetty.builder(shutdown).bind(host, port).handler(app).start(); // HTTP/1.1 and h2c
        shutdown.markReady();
        // @end
        return jetty;
    }

    /** A server the application built. */
    static QuiesceJetty attached(Shutdown shutdown, Server server) throws IOException {
        // @start region="readme-jetty-attach"
        var jetty = QuiesceJetty.attach(shutdown, server); // starts it if it is not started yet
        shutdown.markReady();
        // @end
        return jetty;
    }
}
