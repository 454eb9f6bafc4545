package dev.quiesce.jetty;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link QuiesceJetty} server as the shutdown drives it (see {@link Ingress}): {@code stopAccepting()} closes
 * every network connector's listening channel; {@code inFlight()} counts the requests that reached the
 * application's handler (health probes and connections without a complete request head are not requests);
 * {@code goAway()} shuts the connectors down the Jetty way (HTTP/1.1 responses carry {@code Connection: close},
 * HTTP/2 sessions get a graceful GOAWAY, then at once one with their last stream id); {@code forceClose()}
 * cancels the handlers still running, which answer 503, and then closes every connection; {@code describe()}
 * gives the exact counts.
 *
 * <p>Counting: a request is accepted when it reaches the application's handler and ends once, as completed
 * (drained if it ended after {@code stopAccepting()} began) or cancelled (answered 503 because it was cancelled,
 * or arrived when the server could no longer serve it). It is counted before its ticket closes, so the counts are
 * final once the drain sees nothing in flight.
 *
 * <p>Thread-safe.
 */
final class JettyIngress implements Ingress {
    private final QuiesceJetty jetty;
    private final InFlightTracker requests = new InFlightTracker();
    /** The report's counts: accepted, completed, drained (completed after stopAccepting() began), cancelled. */
    private final LongAdder accepted = new LongAdder(), completed = new LongAdder(), drained = new LongAdder(),
            cancelled = new LongAdder();
    private volatile boolean stopAcceptingBegun, goingAway;

    JettyIngress(QuiesceJetty jetty) {
        this.jetty = jetty;
    }

    /**
     * A request's tickets: this ingress's count and the shutdown's ({@code Shutdown.inFlight()}, which the report's
     * "in flight at trigger" and "drained" and the health body's {@code inFlight} read), as the JDK adapter counts.
     */
    record Tickets(InFlightTracker.Ticket ingress, InFlightTracker.Ticket shutdown) {}

    /** A request reached the application's handler: counted, and in flight until {@link #requestEnded}. */
    Tickets requestAccepted() {
        accepted.increment();
        return new Tickets(requests.enter(), jetty.shutdownRequests().enter());
    }

    /** An accepted request ended: answered by its handler, or answered 503 ({@code wasCancelled}). */
    void requestEnded(Tickets tickets, boolean wasCancelled) {
        (wasCancelled ? cancelled : completed).increment();
        if (!wasCancelled && stopAcceptingBegun) {
            drained.increment();
        }
        tickets.shutdown().close(); // after the counts: they are final once nothing is in flight
        tickets.ingress().close();
    }

    /** Whether {@link #goAway()} or {@link #forceClose()} was called. */
    boolean goingAway() {
        return goingAway;
    }

    /** Closes the listeners; returns once a new connection is refused. Idempotent: a second call waits for the first. */
    @Override
    public void stopAccepting() throws InterruptedException {
        stopAcceptingBegun = true;
        jetty.stopAcceptingOnce();
    }

    @Override
    public InFlightTracker inFlight() {
        return requests;
    }

    @Override
    public void goAway() {
        goingAway = true;
        jetty.goAwayOnce();
    }

    @Override
    public void forceClose() {
        goingAway = true;
        jetty.forceClose();
    }

    @Override
    public IngressDescription describe() {
        long c = cancelled.sum(), done = completed.sum(), d = drained.sum();
        long a = accepted.sum(); // last: a request is accepted before it ends
        return new IngressDescription("jetty", jetty.protocols(), jetty.describeAddress(), a, done, d, c,
                Math.max(0, a - done - c));
    }
}
