package dev.quiesce.spring.jetty;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.Shutdown;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.Server;

/**
 * Boot's embedded Jetty {@link Server}, driven by quiesce-jetty's adapter ({@link QuiesceJetty}): prepared before
 * Boot starts it (Quiesce's handler first in its tree), registered with the shutdown as an {@link Ingress} once its
 * connectors are open. See {@link QuiesceJettyAutoConfiguration}.
 *
 * <p>Thread-safe.
 */
public final class QuiesceJettyServer {
    private final Shutdown shutdown;
    private final AtomicReference<QuiesceJetty> jetty = new AtomicReference<>();

    /**
     * The main web server's adapter, for {@code shutdown}.
     *
     * @param shutdown the shutdown that drains the server
     */
    public QuiesceJettyServer(Shutdown shutdown) {
        this.shutdown = shutdown;
    }

    /** Before Boot starts {@code server}: Quiesce's handler goes first in its tree; once per application. */
    void prepare(Server server) {
        QuiesceJetty prepared = QuiesceJetty.prepare(shutdown, server);
        if (!jetty.compareAndSet(null, prepared)) {
            throw new IllegalStateException("Quiesce drives one embedded Jetty server per application, and one was"
                    + " already prepared: give a second server's factory no Quiesce customizer");
        }
    }

    /** Once Boot has started {@code server} and its connectors: the ingress is registered with the shutdown. */
    void started(Server server) {
        QuiesceJetty prepared = jetty.get();
        if (prepared != null && prepared.server() == server) {
            prepared.started();
        }
    }

    /**
     * The adapter, once the server was prepared.
     *
     * @return the adapter of the main web server, empty before Boot made the server
     */
    public Optional<QuiesceJetty> jetty() {
        return Optional.ofNullable(jetty.get());
    }

    /**
     * The ingress the shutdown drives, once the server was prepared.
     *
     * @return the adapter's ingress (named {@code jetty} in the report)
     * @throws IllegalStateException if Boot has not made the server yet
     */
    public Ingress ingress() {
        return jetty().orElseThrow(() -> new IllegalStateException("Boot has not made its Jetty server yet: ask for"
                + " the ingress once the application has started")).ingress();
    }
}
