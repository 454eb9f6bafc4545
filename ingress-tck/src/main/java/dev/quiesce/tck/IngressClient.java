package dev.quiesce.tck;

import java.io.IOException;
import java.time.Duration;

/**
 * The kit's view of a protocol: the client steps the contract tests take, which differ between HTTP/1.1,
 * HTTP/2 and gRPC. {@link Http1Client} is the HTTP/1.1 one; an adapter of another protocol provides its own
 * through {@link ServerUnderTest}. Every method blocks; the kit calls them from threads of its own, and the
 * tests' {@code @Timeout} bounds every wait. Implementations need not be thread-safe across connections'
 * methods beyond what each method says.
 */
public interface IngressClient {

    /** How an attempt to open a new connection ended. */
    enum ConnectOutcome {
        /** The server (its kernel) accepted the connection. */
        ACCEPTED,
        /** Refused at once (TCP RST: no listener), or for a multiplexed protocol, a new call refused at once. */
        REFUSED,
        /** No answer within the attempt's bound: a listener that neither accepts nor refuses. */
        HUNG
    }

    /**
     * Opens a persistent connection (HTTP/1.1 keep-alive, one HTTP/2 connection), on which requests are sent
     * one after the other.
     *
     * @throws IOException if it cannot be opened (e.g. {@code ConnectException} when refused)
     */
    Connection open() throws IOException;

    /**
     * Tries a new connection (or, for a protocol whose connections outlive the listener, a new call on a new
     * connection), waits for the outcome at most {@code bound}, and closes it.
     */
    ConnectOutcome tryConnect(Duration bound);

    /**
     * Opens a connection, sends part of a request (HTTP/1.1: half a request head) and stops, as a slow or
     * stalled client does; the connection's {@link Connection#awaitClosed(Duration)} tells how it ended.
     *
     * @throws IOException if it cannot be opened or the part cannot be sent
     */
    Connection openStalled() throws IOException;

    /** One connection to the server. Used by one thread at a time. */
    interface Connection extends AutoCloseable {

        /**
         * Sends a request for {@code route} and waits for its reply. A reset or an end of the connection before
         * a complete response is a {@link Reply} ({@link Reply.Status#RESET}, {@link Reply.Status#NO_REPLY}), not
         * an exception.
         *
         * @throws IOException for any other failure of the client itself
         */
        Reply call(Route route) throws IOException;

        /**
         * Waits until the server closes this connection, at most {@code bound}; data the server sends meanwhile
         * (e.g. a 408 to a stalled client) is skipped.
         */
        Closure awaitClosed(Duration bound);

        /** Closes the client's side; never throws. */
        @Override
        void close();
    }
}
