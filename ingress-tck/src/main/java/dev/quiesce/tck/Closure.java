package dev.quiesce.tck;

/** How a connection ended, as {@link IngressClient.Connection#awaitClosed(java.time.Duration)} saw it. */
public enum Closure {
    /** The server closed it cleanly (TCP FIN; for HTTP/2 after a GOAWAY). */
    CLEAN,
    /** The server reset it. */
    RESET,
    /** Still open when the wait ended. */
    STILL_OPEN
}
