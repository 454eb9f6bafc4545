package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the thread that started a shutdown while the service starts. The coordinator is not a daemon,
 * so that {@code main} may return once the service is up. The flip side: if the thread that started this
 * shutdown (usually {@code main}, in the middle of its startup: a port already in use, a bad configuration)
 * dies of an exception, the process would stay alive, serving nothing, until somebody sent SIGTERM. So that
 * thread's uncaught-exception handler is chained while the service starts: the handler it had runs first (it
 * prints the stack trace as before), then the sequence starts with trigger {@code STARTER_FAILED} and outcome
 * {@link ShutdownReport.Outcome#SERVICE_FAILED} (exit code 1). The handler is put back at
 * {@link Shutdown#markReady()} (startup is over: a pool thread that started the shutdown may later die of
 * some other task's exception without stopping the service) or when the sequence ends.
 */
final class StarterWatch {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    private final Shutdown shutdown;
    private volatile Thread starter;
    private volatile Thread.UncaughtExceptionHandler ours;
    private volatile Thread.UncaughtExceptionHandler starterOwn;

    StarterWatch(Shutdown shutdown) {
        this.shutdown = shutdown;
    }

    /** Chains the calling thread's uncaught-exception handler. */
    void watch() {
        Thread t = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = t.getUncaughtExceptionHandler(); // its group if none of its own
        Thread.UncaughtExceptionHandler handler = (thread, failure) -> {
            try {
                previous.uncaughtException(thread, failure);
            } finally {
                starterFailed(thread, failure);
            }
        };
        starterOwn = previous == t.getThreadGroup() ? null : previous;
        ours = handler;
        starter = t;
        t.setUncaughtExceptionHandler(handler);
    }

    private void starterFailed(Thread thread, Throwable failure) {
        if (starter == null || shutdown.isShuttingDown()) {
            return; // startup was over (markReady), or the sequence has already started
        }
        LOG.error("thread {}, which started this shutdown, ended with {}; running the shutdown sequence (exit code 1)",
                thread.getName(), failure.toString());
        shutdown.trigger(CancelReason.explicit("thread " + thread.getName() + " ended with " + failure),
                "STARTER_FAILED");
    }

    /** Puts back the starting thread's own uncaught-exception handler, unless somebody replaced ours since. */
    void unwatch() {
        Thread t = starter;
        if (t != null && t.getUncaughtExceptionHandler() == ours) {
            t.setUncaughtExceptionHandler(starterOwn);
        }
        starter = null;
    }
}
