package dev.quiesce.tck;

/**
 * The two requests the kit sends. An adapter's factory serves each one by calling its {@link Handlers} method;
 * an HTTP adapter serves them on {@link Http1Client#path(Route)} ({@code GET /tck/quick}, {@code GET /tck/slow}).
 */
public enum Route {
    /** Answered at once with {@link Handlers#quick()}'s body. */
    QUICK,
    /** Answered with {@link Handlers#slow()}'s body, which blocks until the test releases it. */
    SLOW
}
