package dev.quiesce.shutdown;

import java.util.Objects;

/**
 * One {@link Ingress} as the {@link ShutdownReport} shows it. The counts are of requests (exchanges that
 * reached a handler, calls, messages), not of connections, and exact: once the ingress has drained,
 * {@code accepted == completed + cancelled} and {@code inFlight == 0}.
 *
 * @param name the ingress's name (non-blank, without {@code '/'}), e.g. {@code http}
 * @param protocol what it serves, e.g. {@code HTTP/1.1}, {@code h2c}, {@code gRPC}
 * @param address where it listens, e.g. {@code 127.0.0.1:8080}
 * @param accepted requests accepted since the ingress started
 * @param completed requests answered by their handler (whatever the status)
 * @param drained of the completed requests, those answered after {@link Ingress#stopAccepting()} began
 * @param cancelled requests answered 503 (or reset) because the service was shutting down: cancelled at
 *     the end of the grace period, or arrived when the server could no longer serve them
 * @param inFlight requests accepted and not yet answered
 */
public record IngressDescription(String name, String protocol, String address, long accepted, long completed,
        long drained, long cancelled, long inFlight) {

    /** Validates. */
    public IngressDescription {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(address, "address");
        if (accepted < 0 || completed < 0 || drained < 0 || cancelled < 0 || inFlight < 0) {
            throw new IllegalArgumentException("counts must not be negative: accepted " + accepted + ", completed "
                    + completed + ", drained " + drained + ", cancelled " + cancelled + ", in flight " + inFlight);
        }
    }

    /** One line, as the report's text shows it. */
    public String toText() {
        return "ingress " + name + " (" + protocol + " on " + address + "): " + accepted + " accepted, " + completed
                + " completed (" + drained + " while draining), " + cancelled + " cancelled, " + inFlight
                + " in flight";
    }
}
