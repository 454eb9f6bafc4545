package dev.quiesce.jetty.tck;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.tck.Handlers;
import dev.quiesce.tck.Http1Client;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.Route;
import dev.quiesce.tck.ServerUnderTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * The Jetty adapter, {@link QuiesceJetty}, passes the kit unchanged. In a package of its own, as an adapter's test
 * is: it uses only the kit's and the adapter's public API.
 */
class JettyIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return jetty();
    }

    /** The builder's server (HTTP/1.1 and h2c on one port) with the kit's routes. */
    static IngressFactory jetty() {
        return (shutdown, handlers) -> {
            QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(tck(handlers)).start();
            return ServerUnderTest.http1(jetty.ingress(), jetty.address());
        };
    }

    /** The kit's routes as a plain, blocking Jetty handler (it runs in a virtual thread of the scope). */
    static Handler tck(Handlers handlers) {
        return new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String path = Request.getPathInContext(request);
                String body;
                if (path.equals(Http1Client.path(Route.EVENTS))) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
                    handlers.events(event -> {
                        try (Blocker.Callback sent = Blocker.callback()) {
                            response.write(false, ByteBuffer.wrap(event.getBytes(StandardCharsets.UTF_8)), sent);
                            sent.block();
                        }
                    });
                    response.write(true, null, callback);
                    return true;
                }
                if (path.equals(Http1Client.path(Route.QUICK))) {
                    body = handlers.quick();
                } else if (path.equals(Http1Client.path(Route.SLOW))) {
                    body = handlers.slow(); // throws InterruptedException when cancelled: the adapter answers 503
                } else {
                    return false;
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
    }
}
