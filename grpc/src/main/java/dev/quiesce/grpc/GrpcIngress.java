package dev.quiesce.grpc;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressCounts;
import dev.quiesce.shutdown.IngressDescription;

/**
 * A {@link QuiesceGrpc} server as the shutdown drives it (see {@link Ingress}): {@code stopAccepting()} closes the
 * listener and returns once a new connection is refused (responses from then on carry the going-away trailer);
 * {@code inFlight()} counts the calls that reached the interceptor (health checks are not work);
 * {@code goAway()} asks for the GOAWAY (the graceful {@code shutdown()}, once the connections have said goodbye),
 * turns the health service {@code NOT_SERVING} (it is already, since the trigger) and asks the calls' scope to stop
 * ({@code Scope.stopRequested()}: a streaming handler ends its stream with OK); {@code forceClose()} cancels the
 * calls still running (their {@code io.grpc.Context} is
 * cancelled, their handlers interrupted, their clients get {@code CANCELLED}), then {@code shutdownNow()} and a
 * short await; {@code describe()} gives the exact counts.
 *
 * <p>Counting: a call is accepted when it reaches the interceptor and ends once, when grpc-java says it is over
 * ({@code onComplete} or {@code onCancel}): cancelled if the shutdown cancelled it, or if it arrived when the
 * server could no longer serve it (answered {@code UNAVAILABLE}); completed otherwise, whatever its status (a
 * client's own cancel or deadline included); drained if it completed after {@code stopAccepting()} began. It is
 * counted before its ticket closes, so the counts are final once the drain sees nothing in flight.
 *
 * <p>Thread-safe.
 */
final class GrpcIngress implements Ingress {
    private final QuiesceGrpc grpc;
    private final IngressCounts counts;
    private volatile boolean forced;

    /** Each call is counted in {@code shutdown}'s own tracker too, as the HTTP adapters count (see IngressCounts). */
    GrpcIngress(QuiesceGrpc grpc, dev.quiesce.shutdown.Shutdown shutdown) {
        this.grpc = grpc;
        this.counts = new IngressCounts(shutdown);
    }

    /**
     * The counts: a call is accepted when it reaches the interceptor, and ends answered or ended by its client
     * (completed), or cancelled.
     */
    IngressCounts counts() {
        return counts;
    }

    /** Whether {@link #forceClose()} was called: a call that ends by a cancel from now on was cancelled. */
    boolean forced() {
        return forced;
    }

    /** Closes the listener (see {@link QuiesceGrpc}); returns once a new connection is refused. Idempotent. */
    @Override
    public void stopAccepting() throws InterruptedException {
        counts.markLeaving(); // before the GOAWAY: a response that follows it says so too
        grpc.stopAcceptingOnce();
    }

    @Override
    public InFlightTracker inFlight() {
        return counts.tracker();
    }

    @Override
    public void goAway() {
        counts.markLeaving();
        grpc.goAwayOnce();
    }

    @Override
    public void forceClose() {
        counts.markLeaving();
        forced = true;
        grpc.forceClose();
    }

    @Override
    public IngressDescription describe() {
        return counts.describe("grpc", "gRPC", grpc.describeAddress());
    }
}
