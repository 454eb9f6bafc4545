package dev.quiesce.shutdown;

import dev.quiesce.internal.LeakProbe;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts work in flight (requests, messages, jobs) so that a shutdown can wait for it to drain:
 *
 * {@snippet class=dev.quiesce.snippets.ScopeSnippets region=in-flight-tracker}
 *
 * <p>The count is exact. The hot path is one atomic increment and one decrement, with no lock; a lock
 * is taken only when the count drops to zero while somebody waits in {@link #awaitIdle}.
 *
 * <p>Thread-safe. A ticket may be closed from any thread, and more than once (only the first counts).
 */
public final class InFlightTracker {
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder entered = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final AtomicInteger waiters = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();

    /** Creates an idle tracker. */
    public InFlightTracker() {}

    /** One unit of work in flight; closing it ends it. */
    public final class Ticket implements AutoCloseable {
        private final AtomicInteger closed = new AtomicInteger();

        private Ticket() {}

        /** Ends this unit of work. Idempotent. */
        @Override
        public void close() {
            if (closed.compareAndSet(0, 1)) {
                LeakProbe.released(this);
                exit(true);
            }
        }

        /**
         * Ends this unit without counting it as completed work: for entries that turn out not to be work
         * to drain (a health probe counted before it was routed). Idempotent, and a later {@link #close()}
         * does nothing.
         */
        public void forget() {
            if (closed.compareAndSet(0, 1)) {
                LeakProbe.released(this);
                entered.decrement();
                exit(false);
            }
        }
    }

    /** Starts one unit of work; close the ticket when it ends (try-with-resources). */
    public Ticket enter() {
        inFlight.incrementAndGet();
        entered.increment();
        Ticket t = new Ticket();
        LeakProbe.entered(t, this); // records it only while the test kit's leak check watches
        return t;
    }

    private void exit(boolean countCompleted) {
        if (countCompleted) {
            completed.increment();
        }
        if (inFlight.decrementAndGet() == 0 && waiters.get() > 0) {
            lock.lock();
            try {
                idle.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Units of work in flight now. */
    public long inFlight() {
        return inFlight.get();
    }

    /** Units of work entered since the tracker was created. */
    public long entered() {
        return entered.sum();
    }

    /** Units of work completed since the tracker was created. */
    public long completed() {
        return completed.sum();
    }

    /**
     * Waits until nothing is in flight.
     *
     * @return whether the tracker became idle before {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return awaitIdleNanos(ShutdownTime.nanoTime() + saturated(timeout), NEVER);
    }

    /**
     * Like {@link #awaitIdle(Duration)}, but an interrupt does not end the wait: it is remembered and restored
     * when this returns (for a server that lets its cancelled handlers answer, briefly, while being cancelled).
     *
     * @return whether the tracker became idle before {@code timeout}
     */
    public boolean awaitIdleUninterruptibly(Duration timeout) {
        long deadline = ShutdownTime.nanoTime() + saturated(timeout);
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return awaitIdleNanos(deadline, NEVER);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Like {@link #awaitIdle(Duration)}, up to a {@link ShutdownTime#nanoTime()} deadline or until {@code stop} holds. */
    boolean awaitIdleNanos(long deadlineNanos, java.util.function.BooleanSupplier stop) throws InterruptedException {
        if (inFlight.get() == 0) {
            return true;
        }
        waiters.incrementAndGet();
        lock.lock();
        try {
            while (inFlight.get() != 0) {
                if (stop.getAsBoolean()) {
                    return false;
                }
                long left = deadlineNanos - ShutdownTime.nanoTime();
                if (left <= 0) {
                    return false;
                }
                ShutdownTime.awaitNanos(idle, left);
            }
            return true;
        } finally {
            lock.unlock();
            waiters.decrementAndGet();
        }
    }

    /** Wakes any thread in {@link #awaitIdle} so it re-checks (used when a shutdown escalates). */
    void wakeWaiters() {
        lock.lock();
        try {
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Made once (a lambda's first evaluation links a call site; this one is used after SIGTERM). */
    private static final java.util.function.BooleanSupplier NEVER = () -> false;

    private static long saturated(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    @Override
    public String toString() {
        return "InFlightTracker[inFlight=" + inFlight.get() + ", completed=" + completed.sum() + "]";
    }
}
