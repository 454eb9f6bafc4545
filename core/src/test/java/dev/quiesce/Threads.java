package dev.quiesce;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** The thread kinds every engine test runs on, and small coordination helpers (also for other test packages). */
public enum Threads {
    VIRTUAL(null),
    PLATFORM(Thread.ofPlatform().daemon(true).name("platform-", 0).factory());

    private final ThreadFactory factory;

    Threads(ThreadFactory factory) {
        this.factory = factory;
    }

    /** A config function that applies this thread kind, then {@code more}. */
    UnaryOperator<ScopeConfig> cfg(UnaryOperator<ScopeConfig> more) {
        return c -> more.apply(factory == null ? c : c.withThreadFactory(factory));
    }

    UnaryOperator<ScopeConfig> cfg() {
        return cfg(c -> c);
    }

    UnaryOperator<ScopeConfig> named(String name) {
        return cfg(c -> c.withName(name));
    }

    /** Blocks "forever": until interrupted. */
    static void sleepForever() throws InterruptedException {
        Thread.sleep(Duration.ofDays(1));
    }

    /** Polls {@code condition} every millisecond; the test's @Timeout bounds the wait. */
    public static void awaitTrue(BooleanSupplier condition) {
        while (!condition.getAsBoolean()) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for a condition", e);
            }
        }
    }

    /** Waits until {@code t} is parked (WAITING or TIMED_WAITING), an observed blocking point. */
    static void awaitBlocked(Thread t) {
        awaitTrue(() -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
    }
}
