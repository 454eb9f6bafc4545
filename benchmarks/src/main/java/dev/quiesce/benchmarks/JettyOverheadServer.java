package dev.quiesce.benchmarks;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.shutdown.Shutdown;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The server side of {@code benchmarks/jetty-overhead.sh}: {@code GET /work?ms=N} (N ms of sleep, then
 * {@code ok}) on Jetty 12, either plain ({@code plain}: a {@code Server} with a {@code ServerConnector} that
 * speaks HTTP/1.1 and h2c, as {@code QuiesceJetty}'s builder configures it, and the handler set directly;
 * {@code plain-vt}: the same with Jetty's thread pool running blocking handlers on virtual threads, as the
 * adapter runs them) or through the adapter ({@code quiesce}: {@code QuiesceJetty.builder(shutdown)} with the
 * same handler). The same
 * handler, the same connector configuration; the difference is the adapter's request path (its handler first,
 * the count, the hand-over to a virtual thread of the shutdown's scope tree). Prints {@code listening on
 * 127.0.0.1:PORT} once it serves; runs until SIGTERM.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.quiesce.benchmarks.JettyOverheadServer plain|plain-vt|quiesce [port]
 * </pre>
 */
public final class JettyOverheadServer {
    private JettyOverheadServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(args[0].equals("plain") || args[0].equals("plain-vt") || args[0].equals("quiesce"))) {
            System.err.println("usage: JettyOverheadServer plain|plain-vt|quiesce [port]  (port 0, the default: any"
                    + " free one)");
            System.exit(2);
        }
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        Handler work = new Work();
        int actual;
        if (args[0].startsWith("plain")) {
            var pool = new QueuedThreadPool();
            if (args[0].equals("plain-vt")) {
                pool.setVirtualThreadsExecutor(VirtualThreads.getDefaultVirtualThreadsExecutor());
            }
            Server server = new Server(pool);
            HttpConfiguration config = new HttpConfiguration();
            config.setSendServerVersion(false);
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config),
                    new HTTP2CServerConnectionFactory(config));
            connector.setHost("127.0.0.1");
            connector.setPort(port);
            server.addConnector(connector);
            server.setHandler(work);
            server.start();
            actual = connector.getLocalPort();
        } else {
            Shutdown shutdown = Shutdown.builder().platformBudget(Duration.ofSeconds(30)).preDrainDelay(Duration.ZERO)
                    .start();
            QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", port).handler(work).start();
            shutdown.markReady();
            actual = jetty.port();
        }
        System.out.println("listening on 127.0.0.1:" + actual);
        System.out.flush();
        Thread.sleep(Duration.ofDays(1)); // serving until SIGTERM
    }

    /** {@code /work?ms=N}: sleeps N ms (0: none), answers {@code ok}. A blocking handler, as an application's is. */
    private static final class Work extends Handler.Abstract {
        private static final byte[] OK = "ok\n".getBytes(StandardCharsets.US_ASCII);

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String query = request.getHttpURI().getQuery();
            long ms = query != null && query.startsWith("ms=") ? Long.parseLong(query.substring(3)) : 0;
            if (ms > 0) {
                Thread.sleep(ms);
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, OK.length);
            response.write(true, ByteBuffer.wrap(OK), callback);
            return true;
        }
    }
}
