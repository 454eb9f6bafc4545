package dev.quiesce.http;

import dev.quiesce.CancelReason;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link DrainingHttpServer} as the shutdown drives it (see {@link Ingress}); every method delegates to the
 * server. {@code stopAccepting()} closes the listener (and then tells connections to leave: keep-alive lasts
 * until the close, see {@link DrainingHttpServer#stopAccepting()}); {@code inFlight()} is the server's tracker of
 * requests that reached a handler (idle keep-alive connections, slow request heads and health probes are not
 * requests, so they never hold the drain; the server's own service also waits for its exchanges and the close
 * grace); {@code goAway()} puts {@code Connection: close} on every response and closes request heads that do
 * not arrive in time; {@code forceClose()} cancels the handlers still running, which answer 503, and the
 * server closes every connection once they have; {@code describe()} shows the server's request counts.
 *
 * <p>Counting: a request is accepted when it reaches a handler and ends once, as completed (drained if it
 * ended after the listener closed) or cancelled (answered 503 before its response started, because it was
 * cancelled or arrived when the server could no longer serve it). A request whose response was sent is never
 * counted as cancelled.
 *
 * <p>Thread-safe.
 */
final class HttpIngress implements Ingress {
    private final DrainingHttpServer server;
    private final AtomicBoolean stopAcceptingCalled = new AtomicBoolean();

    HttpIngress(DrainingHttpServer server) {
        this.server = server;
    }

    /** Closes the listener; returns once a new connection is refused. Idempotent: a second call waits for the first. */
    @Override
    public void stopAccepting() throws InterruptedException {
        if (stopAcceptingCalled.compareAndSet(false, true)) {
            server.stopAccepting();
        } else {
            server.awaitListenerClosed();
        }
    }

    @Override
    public InFlightTracker inFlight() {
        return server.requests();
    }

    @Override
    public void goAway() {
        server.goAway();
    }

    @Override
    public void forceClose() {
        server.goAway();
        EngineScope<Object, Void> s = server.scope();
        if (s != null) { // a no-op when the shutdown's cancel reached the scope first: its reason stands
            s.cancel(CancelReason.explicit("forceClose(): the grace period is over"));
        }
    }

    @Override
    public IngressDescription describe() {
        InFlightTracker requests = server.requests();
        long cancelled = server.cancelled();
        long drained = server.drained();
        long ended = requests.completed(); // cancelled requests included
        long accepted = requests.entered(); // last: a request is accepted before it ends
        long completed = Math.max(0, ended - cancelled);
        return new IngressDescription(server.name(), server.protocol(), address(server.address()), accepted, completed,
                Math.min(drained, completed), cancelled, Math.max(0, accepted - ended));
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
