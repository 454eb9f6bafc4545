package dev.quiesce.shutdown;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counts an {@link Ingress} reports ({@link IngressDescription}), kept exact: for an adapter. A request (an
 * exchange, a call) is {@linkplain #accept() accepted} when it reaches the application and ends once,
 * {@linkplain #end ended} as completed (drained if it ended once the ingress was {@linkplain #markLeaving()
 * leaving}) or cancelled; it is
 * counted before its ticket closes, so the counts are final once the drain sees nothing in flight.
 *
 * <pre>{@code
 * IngressCounts.Ticket t = counts.accept();
 * ... // serve it
 * counts.end(t, wasCancelled);
 * }</pre>
 *
 * <p>Made with {@link #IngressCounts(Shutdown)}, each request is counted in the shutdown's own tracker
 * ({@link Shutdown#inFlight()}) too, as the JDK adapter counts its exchanges: the report's "in flight at trigger"
 * and "drained" and the health endpoints' {@code inFlight} then include the ingress's requests.
 *
 * <p>Thread-safe.
 */
public final class IngressCounts {
    private final InFlightTracker requests = new InFlightTracker();
    /** The shutdown's tracker, which each request enters too; null for counts of this ingress only. */
    private final InFlightTracker shutdownRequests;
    private final LongAdder accepted = new LongAdder(), completed = new LongAdder(), drained = new LongAdder(),
            cancelled = new LongAdder();
    private volatile boolean leaving;

    /** Counts that start at zero, of this ingress only. */
    public IngressCounts() {
        this.shutdownRequests = null;
    }

    /**
     * Counts that start at zero, each request also counted in {@code shutdown}'s own tracker while it is in flight.
     *
     * @param shutdown the shutdown the ingress is registered with
     */
    public IngressCounts(Shutdown shutdown) {
        this.shutdownRequests = shutdown.inFlight();
    }

    /** A request in flight: its place in this ingress's count (and the shutdown's); ended once by {@link #end}. */
    public static final class Ticket {
        private final InFlightTracker.Ticket ingress;
        private final InFlightTracker.Ticket shutdown;

        private Ticket(InFlightTracker.Ticket ingress, InFlightTracker.Ticket shutdown) {
            this.ingress = ingress;
            this.shutdown = shutdown;
        }
    }

    /** The requests in flight: what {@link Ingress#inFlight()} returns. */
    public InFlightTracker tracker() {
        return requests;
    }

    /**
     * A request reached the application: counted, and in flight until {@link #end}.
     *
     * @return its ticket, for {@link #end}
     */
    public Ticket accept() {
        accepted.increment();
        return new Ticket(requests.enter(), shutdownRequests == null ? null : shutdownRequests.enter());
    }

    /**
     * An accepted request ended; once per ticket.
     *
     * @param ticket what {@link #accept()} returned; closed here, after the counts
     * @param wasCancelled answered 503 / {@code UNAVAILABLE} / {@code CANCELLED} (or reset) because the service
     *     was shutting down, rather than answered by its handler
     */
    public void end(Ticket ticket, boolean wasCancelled) {
        (wasCancelled ? cancelled : completed).increment();
        if (!wasCancelled && leaving) {
            drained.increment();
        }
        // after the counts: they are final once nothing is in flight; the shutdown's first (no request left in
        // the ingress's count means none is left in the shutdown's either)
        if (ticket.shutdown != null) {
            ticket.shutdown.close();
        }
        ticket.ingress.close();
    }

    /** The ingress has begun to stop accepting: requests that complete from now on are drained. Idempotent. */
    public void markLeaving() {
        leaving = true;
    }

    /** Whether {@link #markLeaving()} was called. */
    public boolean leaving() {
        return leaving;
    }

    /**
     * The description with these counts now.
     *
     * @param name the ingress's name
     * @param protocol what it serves
     * @param address where it listens
     * @return the description
     */
    public IngressDescription describe(String name, String protocol, String address) {
        long c = cancelled.sum(), done = completed.sum(), d = drained.sum();
        long a = accepted.sum(); // last: a request is accepted before it ends
        return new IngressDescription(name, protocol, address, a, done, Math.min(d, done), c,
                Math.max(0, a - done - c));
    }
}
