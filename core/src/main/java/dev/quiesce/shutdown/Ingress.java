package dev.quiesce.shutdown;

/**
 * A server (HTTP, gRPC, a queue consumer) as the shutdown drives it: the contract every adapter implements,
 * registered with {@link Shutdown#ingress(Ingress)}. The adapter test kit (the module
 * {@code quiesce-ingress-tck}: an adapter's test extends {@code dev.quiesce.tck.IngressContractTest} with a
 * factory) states this contract as tests; an adapter passes it unchanged. Design: docs/adr/0006.
 *
 * <h2>The sequence</h2>
 * <ol>
 *   <li>READINESS: readiness turns {@code DRAINING} and the pre-drain delay runs. The shutdown calls
 *       nothing on the ingress: it keeps accepting and serving as before (a load balancer may still send
 *       traffic). An adapter that reads {@link Shutdown#readiness()} may already start telling persistent
 *       clients to leave.
 *   <li>STOP_ACCEPTING: {@link #stopAccepting()}, on a thread of its own, with the ingress's share of
 *       the stop-accepting budget, exactly like an {@link Shutdown#onStopAccepting} listener of the
 *       ingress's name (and reported as one): a call that overruns its share is interrupted, abandoned and
 *       reported {@code TIMED_OUT}.
 *   <li>DRAIN: {@link #goAway()} on every ingress, in registration order, on the shutdown's thread; then
 *       the shutdown waits until every ingress's {@link #inFlight()} tracker and its own
 *       {@link Shutdown#inFlight() tracker} are at zero at the same time (and its services have returned),
 *       up to the grace period. Requests on connections already open are still served.
 *   <li>CANCEL: {@link #forceClose()}, on the shutdown's thread, if and only if the drain did not
 *       complete (the grace period ended, or a repeated signal cut it short, with requests in flight or
 *       services running), right after the shutdown's scope was cancelled (tasks running in it, such as
 *       handlers, are interrupted already). The cancel grace follows.
 *   <li>REPORT: {@link #describe()}; the {@link ShutdownReport} holds one {@link IngressDescription} per
 *       ingress, in registration order. An ingress still in flight at the end of the drain makes the
 *       outcome {@code FORCED}, as work left in the shutdown's own tracker does.
 * </ol>
 *
 * <h2>What each method guarantees</h2>
 * The shutdown calls {@link #stopAccepting()}, {@link #goAway()} and {@link #forceClose()} at most once
 * each, in that order; {@link #inFlight()} and {@link #describe()} whenever it needs them. The application
 * may call any of them too (a test, a manual stop): each must be idempotent and thread-safe. None may
 * throw for a server that has already stopped. A method that throws is logged and the sequence goes on: a
 * throwing {@code stopAccepting()} is reported {@code FAILED} and makes the outcome {@code HOOKS_FAILED};
 * a throwing {@code describe()} in the REPORT phase leaves the ingress out of the report.
 *
 * <p>Counting: a request (an HTTP exchange that reached a handler, an RPC, a message) accepted before
 * {@link #stopAccepting()} returned is either answered or, at {@link #forceClose()}, answered with a
 * 503 / {@code UNAVAILABLE} / reset and counted as cancelled: never dropped silently. An adapter never
 * uses its server's own shutdown timer to decide when the drain is over: its {@link #inFlight()} count
 * decides, and the server stops promptly once it is zero.
 *
 * <p>Implementations must be thread-safe: the shutdown calls them from its own threads.
 */
public interface Ingress {

    /**
     * Stops taking new connections (closes the listener) or new streams and calls; returns once a new
     * connection is refused, not before. Connections already open and requests in flight keep being served.
     * Blocking is allowed, within the budget share (an interrupt means the share is over).
     *
     * @throws Exception if the listener could not be closed; the shutdown reports it and goes on
     */
    void stopAccepting() throws Exception;

    /**
     * The work the drain waits for: every request (or exchange, call, message) accepted and not yet
     * answered. Idle persistent connections are not work and must not be counted. Never {@code null}, and
     * the same tracker on every call. An adapter that counts into the shutdown's own
     * {@link Shutdown#inFlight()} tracker may return that tracker, or a tracker of its own as well: the drain
     * waits for every tracker to reach zero.
     *
     * @return the ingress's tracker
     */
    InFlightTracker inFlight();

    /**
     * Tells persistent connections to leave, at the start of the drain: HTTP/1.1 {@code Connection: close}
     * on the next response and close the idle ones; HTTP/2 GOAWAY; WebSocket close 1001 (going away); SSE
     * end of stream; gRPC health {@code NOT_SERVING} then a graceful {@code shutdown()}. Returns promptly
     * (it runs on the shutdown's thread, inside the grace period): it starts the goodbye, it does not wait
     * for the connections to close. A request being served is not cut off.
     */
    void goAway();

    /**
     * Ends what is left when the drain did not complete: requests still in flight are answered 503 (or
     * reset, if no answer can be written) and counted as {@linkplain IngressDescription#cancelled()
     * cancelled}; every connection is closed. Returns promptly (it runs on the shutdown's thread): the
     * answers may be written after it returns, within the shutdown's cancel grace.
     */
    void forceClose();

    /**
     * What the report shows about this ingress: its name (non-blank, no {@code '/'}, unique among the
     * shutdown's ingresses; also the name of its stop-accepting hook in the report), protocol, address and
     * exact counts. Called at registration (for the name) and in the REPORT phase, from the shutdown's
     * thread; cheap and non-blocking.
     *
     * @return the ingress's description now
     */
    IngressDescription describe();
}
