package dev.quiesce.test;

import dev.quiesce.internal.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Quiesce's time, moved by the test: once {@linkplain #install() installed}, every deadline, close timeout,
 * shield budget, and the shutdown's budgets, pre-drain delay, drain, hook timeouts and watchdog read this clock
 * and wait for it, so a 30 s shutdown timeline runs in milliseconds of real time, in exact order, and the
 * instants and durations Quiesce records are exactly the virtual ones.
 *
 * {@snippet class=dev.quiesce.test.VirtualClockTest region=timeline}
 *
 * <p>Move the time with {@link #advance(Duration)} (by exactly that much, running every action due on the way
 * at its due time), or let {@link #runUntilIdle()} step from each due time to the next until nothing is due.
 *
 * <p><b>What it cannot virtualise</b>: waits Quiesce does not make. Your code's own {@code Thread.sleep},
 * {@code Object.wait}, timed {@code java.util.concurrent} waits, socket and HTTP timeouts, JDK
 * {@code StructuredTaskScope} joins and log timestamps stay real. A hook that must "take 3 s" in a test should
 * block until cancelled ({@code Thread.sleep(Duration.ofDays(1))}) and let its Quiesce timeout end it.
 *
 * <p>The clock is process-wide while installed: run tests that install one one at a time (not in parallel),
 * and end what they started (scopes closed, shutdowns terminated) before the handle is closed. Closing it hands
 * the actions still pending to the system clock and wakes every waiter.
 *
 * <p>Thread-safe: {@link #advance} and {@link #runUntilIdle} are called from the test's thread; every other
 * thread only reads it.
 */
public final class VirtualClock {
    private final ManualClock clock;

    /** A clock whose {@link #now()} starts at 2026-01-01T00:00:00Z. */
    public VirtualClock() {
        this.clock = new ManualClock();
    }

    /** A clock whose {@link #now()} starts at {@code origin}. */
    public VirtualClock(Instant origin) {
        this.clock = new ManualClock(Objects.requireNonNull(origin, "origin must not be null"));
    }

    /**
     * Makes this the clock of every scope, timer and shutdown of the JVM until the returned handle is closed
     * (try-with-resources), which restores the one installed before.
     *
     * @return the handle
     */
    public Installation install() {
        return clock.install()::close;
    }

    /** The handle {@link #install()} returns; closing it restores the previous clock. */
    @FunctionalInterface
    public interface Installation extends AutoCloseable {
        /**
         * Restores the previous clock, hands it the pending actions and wakes every waiter.
         *
         * @throws IllegalStateException if a clock installed after this one is still installed
         */
        @Override
        void close();
    }

    /** The core clock this one wraps, for the kit's own drivers ({@link ShutdownRehearsal}). */
    ManualClock manual() {
        return clock;
    }

    /** The virtual wall-clock instant: the origin plus {@link #elapsed()}. */
    public Instant now() {
        return clock.instant();
    }

    /** The virtual time passed since this clock was created. */
    public Duration elapsed() {
        return clock.elapsed();
    }

    /** The instant {@code sinceStart} after this clock's origin: what Quiesce records for that moment. */
    public Instant instantAt(Duration sinceStart) {
        return clock.instantAt(sinceStart);
    }

    /** Scheduled actions (deadline timers, the watchdog, ...) not yet run nor cancelled. */
    public int pendingActions() {
        return clock.pendingActions();
    }

    /**
     * Moves the time forward by exactly {@code d}: runs every action due by then, in order, each at its due
     * time, then wakes every thread waiting on the clock. It does not wait for the threads it wakes.
     *
     * @throws IllegalArgumentException if {@code d} is negative
     */
    public void advance(Duration d) {
        clock.advance(Objects.requireNonNull(d, "duration must not be null"));
    }

    /**
     * Steps the time from one due moment (an action, or a thread's timed wait) to the next, letting the threads
     * each step wakes settle before the next, until nothing is due. Each step lands exactly on a due time.
     *
     * <p>"Settled" means: every thread that waited on the clock before the step, and every subtask thread of an
     * open scope, waits on the clock for a later time, has ended, or blocks on something else (a lock, an untimed
     * wait, a real sleep) without an interrupt pending, and neither the
     * waiting threads nor the pending actions have changed for 10 ms of real time. A thread that has not started
     * waiting yet is not seen, so {@link #awaitWaiter} the first one when it was started just before (a
     * shutdown just initiated).
     *
     * @return the number of steps made
     * @throws IllegalStateException if it does not become idle within 10,000 steps,
     *     saying what keeps it busy
     * @throws InterruptedException if interrupted while waiting for the threads to settle
     */
    public int runUntilIdle() throws InterruptedException {
        return clock.runUntilIdle();
    }

    /**
     * Like {@link #runUntilIdle()}, giving up after {@code maxSteps} steps instead of 10,000.
     *
     * @return the number of steps made
     * @throws IllegalStateException if it does not become idle within {@code maxSteps} steps
     * @throws InterruptedException if interrupted while waiting for the threads to settle
     */
    public int runUntilIdle(int maxSteps) throws InterruptedException {
        return clock.runUntilIdle(maxSteps, Duration.ofSeconds(10));
    }

    /**
     * Like {@link #runUntilIdle()}, but stops once {@code done} holds, and never moves the time more than
     * {@code limit} ahead.
     *
     * @return whether {@code done} held
     * @throws InterruptedException if interrupted while waiting for the threads to settle
     */
    public boolean runUntil(BooleanSupplier done, Duration limit) throws InterruptedException {
        return clock.runUntil(Objects.requireNonNull(done, "done must not be null"), limit);
    }

    /**
     * Waits, for at most {@code realTimeout} of real time, until some thread waits on this clock until
     * {@code sinceStart} after its origin: the observed state to advance after.
     *
     * @return that thread
     * @throws AssertionError if none did in time, listing the threads that wait
     * @throws InterruptedException if interrupted while waiting
     */
    public Thread awaitWaiter(Duration sinceStart, Duration realTimeout) throws InterruptedException {
        return clock.awaitWaiter(sinceStart, realTimeout);
    }

    @Override
    public String toString() {
        return "VirtualClock[+" + elapsed() + "]";
    }
}
