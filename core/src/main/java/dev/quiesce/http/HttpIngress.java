package dev.quiesce.http;

import dev.quiesce.CancelReason;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link DrainingHttpServer} as the shutdown drives it (see {@link Ingress}): {@code stopAccepting()} closes
 * the listener; {@code inFlight()} is the server's exchange tracker, which counts an exchange from the moment
 * the JDK hands its connection over (a request being read is not cut off; idle keep-alive connections are not
 * handed over, so they never hold the drain); {@code goAway()} puts {@code Connection: close} on every response
 * from then on (idle connections are closed when the server stops, right after the drain); {@code forceClose()}
 * cancels the handlers still running, which answer 503; {@code describe()} counts requests that reached a
 * handler (health probes and connections without a request are not requests).
 *
 * <p>Counting: a request is accepted when it reaches a handler, and ends once, as completed (drained if it ended
 * after {@code stopAccepting()} began) or cancelled (answered 503 because it was cancelled or arrived when the
 * server could no longer serve it). It is counted before its tickets close, so the counts are final once the
 * drain sees no exchange left.
 *
 * <p>Thread-safe.
 */
final class HttpIngress implements Ingress {
    private final DrainingHttpServer server;
    /** Every exchange handed over, request or not: what the drain waits for. */
    private final InFlightTracker exchanges = new InFlightTracker();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder drained = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final AtomicBoolean stopAcceptingCalled = new AtomicBoolean();
    private volatile boolean stopAcceptingBegun;
    private volatile boolean goingAway;

    HttpIngress(DrainingHttpServer server) {
        this.server = server;
    }

    /** A request reached a handler. */
    void requestAccepted() {
        accepted.increment();
    }

    /** An accepted request ended: answered by its handler, or answered 503 ({@code wasCancelled}). */
    void requestEnded(boolean wasCancelled) {
        if (wasCancelled) {
            cancelled.increment();
        } else {
            completed.increment();
            if (stopAcceptingBegun) {
                drained.increment();
            }
        }
    }

    /** Whether {@link #goAway()} or {@link #forceClose()} was called: responses carry {@code Connection: close}. */
    boolean goingAway() {
        return goingAway;
    }

    /** Closes the listener; returns once a new connection is refused. Idempotent: a second call waits for the first. */
    @Override
    public void stopAccepting() throws InterruptedException {
        stopAcceptingBegun = true;
        if (stopAcceptingCalled.compareAndSet(false, true)) {
            server.stopAccepting();
        } else {
            server.awaitListenerClosed();
        }
    }

    @Override
    public InFlightTracker inFlight() {
        return exchanges;
    }

    @Override
    public void goAway() {
        goingAway = true;
    }

    @Override
    public void forceClose() {
        goingAway = true;
        EngineScope<Object, Void> s = server.exchangeScope();
        if (s != null) { // a no-op when the shutdown's cancel reached the scope first: its reason stands
            s.cancel(CancelReason.explicit("forceClose(): the grace period is over"));
        }
    }

    @Override
    public IngressDescription describe() {
        long c = cancelled.sum();
        long done = completed.sum();
        long d = drained.sum();
        long a = accepted.sum(); // last: a request is accepted before it ends
        return new IngressDescription("http", "HTTP/1.1", address(server.address()), a, done, d, c,
                Math.max(0, a - done - c));
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
