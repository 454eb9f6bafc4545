package dev.quiesce.tck;

import java.util.Objects;

/**
 * What a client saw for one request, in the kit's protocol-neutral terms.
 *
 * @param status how the request ended
 * @param code the protocol's own status (an HTTP status code, a gRPC status code), or -1 without a response
 * @param toldToLeave whether the response told the client to leave the connection (HTTP/1.1
 *     {@code Connection: close}, HTTP/2 or gRPC GOAWAY)
 * @param body the response body ({@code ""} without a response)
 */
public record Reply(Status status, int code, boolean toldToLeave, String body) {

    /** How a request ended. */
    public enum Status {
        /** Answered with success (HTTP 2xx, gRPC OK). */
        OK,
        /** Answered "unavailable, try elsewhere" (HTTP 503, gRPC UNAVAILABLE or CANCELLED). */
        UNAVAILABLE,
        /** Answered with another status. */
        OTHER,
        /** The connection was reset (or the stream was reset) before a complete response. */
        RESET,
        /** The connection was closed cleanly before any response: an empty reply. */
        NO_REPLY
    }

    /** Validates. */
    public Reply {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(body, "body");
    }

    /** A reply without a response (reset or empty). */
    public static Reply without(Status status) {
        return new Reply(status, -1, false, "");
    }
}
