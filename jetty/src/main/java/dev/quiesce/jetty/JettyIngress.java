package dev.quiesce.jetty;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressCounts;
import dev.quiesce.shutdown.IngressDescription;

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
    private final IngressCounts counts;
    private volatile boolean goingAway;

    /** Each request is counted in {@code shutdown}'s own tracker too, as the JDK adapter counts (see IngressCounts). */
    JettyIngress(QuiesceJetty jetty, dev.quiesce.shutdown.Shutdown shutdown) {
        this.jetty = jetty;
        this.counts = new IngressCounts(shutdown);
    }

    /**
     * The counts: a request is accepted when it reaches the application's handler, and ends answered by its handler
     * or answered 503 (cancelled).
     */
    IngressCounts counts() {
        return counts;
    }

    /** Whether {@link #goAway()} or {@link #forceClose()} was called. */
    boolean goingAway() {
        return goingAway;
    }

    /** Closes the listeners; returns once a new connection is refused. Idempotent: a second call waits for the first. */
    @Override
    public void stopAccepting() throws InterruptedException {
        counts.markLeaving();
        jetty.stopAcceptingOnce();
    }

    @Override
    public InFlightTracker inFlight() {
        return counts.tracker();
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
        return counts.describe("jetty", jetty.protocols(), jetty.describeAddress());
    }
}
