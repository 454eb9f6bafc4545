package dev.quiesce.jetty.tck;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;
import dev.quiesce.tck.WebSocketContractTest;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A WebSocket on a Jetty server the application built ({@link QuiesceJetty#attach}, with Jetty's
 * {@code WebSocketUpgradeHandler}) is closed with 1001 at the drain: the kit's WebSocket case.
 */
class JettyWebSocketTest extends WebSocketContractTest {

    /** The server's end of a socket: it does nothing but stay open. */
    public static final class Idle implements Session.Listener.AutoDemanding {}

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            server.addConnector(connector);
            var upgrades = WebSocketUpgradeHandler.from(server, c -> c.addMapping(PATH, (rq, rs, cb) -> new Idle()));
            upgrades.setHandler(JettyIngressTest.tck(handlers));
            server.setHandler(upgrades);
            QuiesceJetty jetty = QuiesceJetty.attach(shutdown, server);
            return ServerUnderTest.http1(jetty.ingress(), jetty.address());
        };
    }
}
