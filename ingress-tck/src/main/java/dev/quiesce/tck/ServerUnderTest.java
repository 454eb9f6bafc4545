package dev.quiesce.tck;

import dev.quiesce.shutdown.Ingress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A started server, as an {@link IngressFactory} returns it.
 *
 * @param ingress the adapter's ingress, the one it registered with the shutdown
 * @param address where it listens (a loopback address and the actual port)
 * @param client the protocol's client steps; {@link #http1} gives the HTTP/1.1 one
 */
public record ServerUnderTest(Ingress ingress, InetSocketAddress address, IngressClient client) {

    /** Validates. */
    public ServerUnderTest {
        Objects.requireNonNull(ingress, "ingress");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(client, "client");
    }

    /** An HTTP/1.1 server: the kit drives it with an {@link Http1Client} on {@code address}. */
    public static ServerUnderTest http1(Ingress ingress, InetSocketAddress address) {
        return new ServerUnderTest(ingress, address, new Http1Client(address));
    }
}
