package dev.quiesce.spring;

import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Closes the application context in the shutdown's cleanup phase. Registered with the shutdown when the shutdown is
 * made, before any bean can register a resource of its own, so that it closes last (resources close in reverse
 * order): the beans' own cleanup hooks run while the beans still exist. A context closed by someone else first is
 * left to that close.
 */
final class ContextCloser implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final AtomicBoolean closedByOthers = new AtomicBoolean();
    private final AtomicBoolean closedByQuiesce = new AtomicBoolean();
    private final AtomicBoolean registered = new AtomicBoolean();

    ContextCloser(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Registers this as the shutdown's cleanup resource {@code spring-context}, once. */
    void registerWith(dev.quiesce.shutdown.Shutdown shutdown) {
        if (registered.compareAndSet(false, true)) {
            shutdown.onCleanup("spring-context", this);
        }
    }

    /** The cleanup: closes the context, unless someone else is closing it. */
    @Override
    public void close() {
        if (!closedByOthers.get() && closedByQuiesce.compareAndSet(false, true)) {
            context.close();
        }
    }

    /** Whether this close is someone else's (the first call that is not Quiesce's own returns {@code true}). */
    boolean claimForOthers() {
        return !closedByQuiesce.get() && closedByOthers.compareAndSet(false, true);
    }
}
