package dev.quiesce.tck;

/**
 * The requests the kit sends. An adapter's factory serves each one by calling its {@link Handlers} method; an
 * HTTP adapter serves them on {@link Http1Client#path(Route)} ({@code GET /tck/quick}, {@code GET /tck/slow},
 * {@code GET /tck/events}). {@link IngressContractTest} and {@link Http2ContractTest} send the first two,
 * {@link SseContractTest} the third.
 */
public enum Route {
    /** Answered at once with {@link Handlers#quick()}'s body. */
    QUICK,
    /** Answered with {@link Handlers#slow()}'s body, which blocks until the test releases it. */
    SLOW,
    /** A stream of server-sent events, {@link Handlers#events}, which ends when the drain asks it to stop. */
    EVENTS
}
