package dev.quiesce;

import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.time.Duration;
import java.util.concurrent.FutureTask;
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

    /**
     * For a test whose own thread blocks in the call under test ({@code join()}, {@code close()}) until a time of
     * {@code clock}: a thread that waits until {@code ready} holds and some thread waits on the clock until
     * {@code at} after its origin, then advances the clock to {@code at}. Call {@code get()} on the result after
     * the blocking call, to see its failure if it had one (if nothing waited until {@code at}, it advances a day
     * instead, so that the blocked call returns and the test fails rather than hangs).
     */
    static FutureTask<Void> advanceWhenAwaited(ManualClock clock, BooleanSupplier ready, Duration at) {
        var advance = new FutureTask<Void>(() -> {
            awaitTrue(ready);
            try {
                clock.awaitWaiter(at, SystemClockAfterEach.PATIENCE);
            } catch (AssertionError e) { // nothing waits until then: a day later, so that the test fails, not hangs
                clock.advance(Duration.ofDays(1));
                throw e;
            }
            clock.advance(at.minus(clock.elapsed()));
            return null;
        });
        Thread.ofPlatform().daemon(true).name("advance-to-" + at).start(advance);
        return advance;
    }
}
