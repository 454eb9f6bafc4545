package dev.quiesce.samples;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The demo service on Jetty 12 ({@code serve --server jetty}): the same endpoints, JSON and output as on the JDK's
 * {@code HttpServer}, plus h2c (HTTP/2 without TLS, by prior knowledge or upgrade) on the same port. With Quiesce
 * the server is attached to the shutdown ({@link QuiesceJetty#attach}); with {@code --naive} it is plain Jetty with
 * its own graceful stop ({@code GracefulHandler}, a stop timeout, stopped by Jetty's shutdown hook): the negative
 * control.
 */
final class DemoJetty {
    private DemoJetty() {}

    /** Connections the kernel queues before Jetty accepts them: the JDK server's backlog. */
    private static final int ACCEPT_QUEUE = 1024;

    /** Starts the service's routes on Jetty, drained by {@code shutdown}; returns the port it listens on. */
    static int serve(Shutdown shutdown, DemoService.Settings s, Map<String, DemoService.Route> routes)
            throws IOException {
        Server server = new Server();
        server.addConnector(connector(server, s));
        server.setHandler(new Api(routes));
        return QuiesceJetty.attach(shutdown, server).port();
    }

    /**
     * Plain Jetty, no Quiesce: a {@link GracefulHandler}, the grace period as Jetty's stop timeout and Jetty's own
     * shutdown hook; requests run on virtual threads, as with Quiesce. Returns the port it listens on.
     */
    static int serveNaive(DemoService.Settings s, Map<String, DemoService.Route> routes) throws IOException {
        var threads = new QueuedThreadPool();
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server server = new Server(threads);
        ServerConnector connector = connector(server, s);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new Api(routes)));
        server.setStopTimeout(Math.max(1, s.grace().toMillis()));
        server.setStopAtShutdown(true);
        try {
            server.start();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("Jetty did not start: " + e.getMessage(), e);
        }
        return connector.getLocalPort();
    }

    /** One connector: HTTP/1.1 and h2c on {@code s.host():s.port()}. */
    private static ServerConnector connector(Server server, DemoService.Settings s) {
        var config = new HttpConfiguration();
        config.setSendServerVersion(false);
        var h2c = new HTTP2CServerConnectionFactory(config);
        // a client may have as many requests in flight on one connection as the server queues connections; with
        // Jetty's default (128) the JDK HttpClient, which upgrades to h2c, fails the 129th at once ("too many
        // concurrent streams") instead of waiting or opening another connection
        h2c.setMaxConcurrentStreams(ACCEPT_QUEUE);
        var connector = new ServerConnector(server, new HttpConnectionFactory(config), h2c);
        connector.setHost(s.host());
        connector.setPort(s.port());
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        return connector;
    }

    /** The service's routes as a Jetty handler: exact paths; any other path is not handled (404). */
    static final class Api extends Handler.Abstract {
        private final Map<String, DemoService.Route> routes;

        Api(Map<String, DemoService.Route> routes) {
            this.routes = Map.copyOf(routes);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws IOException {
            DemoService.Route route = routes.get(Request.getPathInContext(request));
            if (route == null) {
                return false;
            }
            DemoService.Reply reply = route.answer(request.getMethod(), request.getHttpURI().getQuery());
            byte[] body = reply.json().getBytes(StandardCharsets.UTF_8);
            response.setStatus(reply.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        }
    }
}
