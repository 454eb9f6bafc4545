package dev.quiesce.internal;

import dev.quiesce.Scope;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Scope#onCancel} callback of a scope: runs at most once, whether the scope's cancellation or
 * the registration on an already cancelled scope gets to it first; what it throws is logged, so the
 * remaining callbacks still run.
 */
final class CancelCallback {

    private static final Logger LOG = LoggerFactory.getLogger(Scope.class);

    private final AtomicBoolean ran = new AtomicBoolean();
    private final Runnable action;
    private final String path;

    /** Runs the callback unless it has run. */
    void runOnce() {
        if (ran.compareAndSet(false, true)) {
            try {
                action.run();
            } catch (Throwable t) {
                LOG.warn("onCancel callback of scope {} threw; the remaining callbacks still run", path, t);
            }
        }
    }

    CancelCallback(Runnable action, String path) {
        this.action = action;
        this.path = path;
    }
}
