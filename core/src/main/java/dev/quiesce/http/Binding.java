package dev.quiesce.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/** The checks of a listener's address and probe settings that {@link DrainingHttpServer} and {@link ManagementServer} share. */
final class Binding {
    private Binding() {}

    /** {@code host:port}, resolved; a message that says what to use instead otherwise. */
    static InetSocketAddress of(String host, int port) {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is empty: use \"0.0.0.0\" for every interface or \"127.0.0.1\""
                    + " for this machine only");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 0..65535; use 0 for any free port");
        }
        return requireResolved(new InetSocketAddress(host, port));
    }

    static InetSocketAddress requireResolved(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host '" + address.getHostString() + "': use an IP"
                    + " address (\"0.0.0.0\" for every interface, \"127.0.0.1\" for this machine only) or a name"
                    + " this machine resolves");
        }
        return address;
    }

    /** A {@code Retry-After} for a draining readiness probe: not negative. */
    static Duration retryAfter(Duration d) {
        Objects.requireNonNull(d, "retryAfter");
        if (d.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative");
        }
        return d;
    }
}
