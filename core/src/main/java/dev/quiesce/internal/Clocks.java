package dev.quiesce.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The clock seam: every time read and timed wait of Quiesce goes through here, to the one installed
 * {@link QuiesceClock}. That covers scope deadlines ({@code withTimeout}, {@code withDeadline}, their
 * timer and the timed {@code join()}), close timeouts, shield budgets, straggler ages, and the shutdown's
 * budgets, pre-drain delay, drain, cancel grace, hook timeouts and watchdog (through
 * {@code dev.quiesce.shutdown.ShutdownTime}). A test kit installs a manual clock here and moves time by hand,
 * so that a 30 s shutdown timeline runs in virtual time.
 *
 * <p>By default the installed clock is {@link #defaultClock()}: the system's time and Quiesce's timer
 * thread, called as before the seam. The installed clock is read from one static field on every call: no
 * lock, no allocation, and a call site that only ever sees the default clock stays monomorphic.
 *
 * <p><b>What this seam cannot virtualise</b>: waits Quiesce does not make. User code's own
 * {@code Thread.sleep}, {@code Object.wait} and timed {@code java.util.concurrent} waits, socket and HTTP
 * client timeouts, the JDK's {@code HttpServer.stop(delay)}, JDK {@code StructuredTaskScope} joins, and the
 * timestamps of logs and JFR events all keep real time. So does {@code dev.quiesce.http.DrainingHttpServer}'s
 * listener-close polling, which waits on the network. An untimed wait is untouched (it has no time to move).
 *
 * <p>Thread-safe. {@link #install} is for tests and the test kit only; see there.
 */
public final class Clocks {
    private Clocks() {}

    private static final ReentrantLock INSTALL = new ReentrantLock(); // install and restore only, never a read
    private static volatile QuiesceClock clock = SystemClock.INSTANCE;
    private static final Set<Thread> WORKERS = ConcurrentHashMap.newKeySet();

    /** The system's clock, the one installed unless a test installed another. */
    public static QuiesceClock defaultClock() {
        return SystemClock.INSTANCE;
    }

    /** The clock installed now. */
    public static QuiesceClock installed() {
        return clock;
    }

    /** The installed clock's {@link QuiesceClock#nanoTime()}. */
    public static long nanoTime() {
        return clock.nanoTime();
    }

    /** The installed clock's {@link QuiesceClock#instant()}. */
    public static Instant instant() {
        return clock.instant();
    }

    /** Runs {@code action} after {@code delayNanos} of the installed clock's time; see {@link QuiesceClock#schedule}. */
    public static ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        return clock.schedule(action, delayNanos);
    }

    /** Runs {@code action} after {@code delay} (saturated to nanoseconds); see {@link QuiesceClock#schedule}. */
    public static ScheduledFuture<?> schedule(Runnable action, Duration delay) {
        return clock.schedule(action, Timers.saturatedNanos(delay));
    }

    /** Parks for at most {@code nanos} of the installed clock's time; see {@link QuiesceClock#parkNanos}. */
    public static void parkNanos(Object blocker, long nanos) {
        clock.parkNanos(blocker, nanos);
    }

    /**
     * Waits on {@code condition} for at most {@code nanos} of the installed clock's time; see
     * {@link QuiesceClock#awaitNanos}.
     *
     * @return an estimate of what is left of {@code nanos}
     * @throws InterruptedException if interrupted while waiting
     */
    public static long awaitNanos(Condition condition, long nanos) throws InterruptedException {
        return clock.awaitNanos(condition, nanos);
    }

    /**
     * Waits until {@code latch} opens, for at most {@code nanos} of the installed clock's time; see
     * {@link QuiesceClock#await}.
     *
     * @return whether the latch opened
     * @throws InterruptedException if interrupted while waiting
     */
    public static boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        return clock.await(latch, nanos);
    }

    /**
     * Marks {@code worker}, a thread Quiesce starts outside any scope and waits for with a timed wait of this
     * clock (a shutdown hook's thread), as working until {@link #finished} is called for it: a manual clock lets
     * it settle (wait, block or end) before it moves the time, so that a hook that merely computes on a loaded
     * machine is not timed out by a test's clock. Only while a clock other than the default is installed: on
     * the default clock it costs one volatile read.
     */
    public static void working(Thread worker) {
        if (clock != SystemClock.INSTANCE) {
            WORKERS.add(worker);
        }
    }

    /** Ends {@link #working} for {@code worker}. */
    public static void finished(Thread worker) {
        if (!WORKERS.isEmpty()) {
            WORKERS.remove(worker);
        }
    }

    /** The threads marked {@link #working} now. */
    static Set<Thread> workers() {
        return WORKERS;
    }

    /**
     * Installs {@code c} for the whole process, until the returned handle is closed, which installs the
     * previous clock again. For tests and the test kit only: every scope, timer and shutdown of the JVM
     * reads it, so install it in a try-with-resources around a test that runs nothing else concurrently,
     * and let that test end what it started (scopes closed, shutdown terminated) before the handle is closed.
     * Deadlines computed under one clock mean nothing under another. Handles are closed innermost first.
     *
     * @return the handle that restores the previous clock; closing it again does nothing
     */
    public static Installation install(QuiesceClock c) {
        Objects.requireNonNull(c, "clock must not be null; to go back to the system clock, close the handle");
        INSTALL.lock();
        try {
            QuiesceClock previous = clock;
            clock = c;
            return new Installation(c, previous);
        } finally {
            INSTALL.unlock();
        }
    }

    /**
     * Loads and links the installed clock's methods, now rather than after SIGTERM (see the shutdown's
     * warm-up), and starts the default clock's timer thread. Waits nothing. Keeps the interrupt status.
     */
    public static void warmUp() {
        nanoTime();
        parkNanos(Clocks.class, 0);
        schedule(Timers.NOTHING, 0);
        var lock = new ReentrantLock();
        lock.lock();
        try {
            boolean opened = await(new CountDownLatch(0), 0);
            long left = awaitNanos(lock.newCondition(), 0);
            if (instant() == null || !opened || left > 0) {
                throw new AssertionError("clock " + clock + " broke its contract in the warm-up");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // linked all the same: the wait was entered
        } finally {
            lock.unlock();
        }
    }

    /** An installed clock; {@link #close()} puts back the one it replaced. */
    public static final class Installation implements AutoCloseable {
        private final QuiesceClock installed;
        private final QuiesceClock previous;
        private boolean closed; // under INSTALL

        private Installation(QuiesceClock installed, QuiesceClock previous) {
            this.installed = installed;
            this.previous = previous;
        }

        /** The clock this handle installed. */
        public QuiesceClock clock() {
            return installed;
        }

        /**
         * Installs the previous clock again. Idempotent.
         *
         * @throws IllegalStateException if a clock installed after this one is still installed
         */
        @Override
        public void close() {
            INSTALL.lock();
            try {
                if (closed) {
                    return;
                }
                if (clock != installed) {
                    throw new IllegalStateException("clock " + installed + " is not the installed one (" + clock
                            + "): close the handle of the clock installed last first (nested try-with-resources)");
                }
                closed = true;
                clock = previous;
            } finally {
                INSTALL.unlock();
            }
        }
    }
}
