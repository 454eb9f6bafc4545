package dev.quiesce.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A {@link QuiesceClock} whose time moves only when a test calls {@link #advance(Duration)}: scope deadlines,
 * close timeouts, shield budgets and the shutdown's phases then run in virtual time, in exact order, and the
 * times they record are exactly the virtual ones. Core's own tests use it directly; users reach it through the
 * test kit's public {@code dev.quiesce.test.VirtualClock} (module {@code dev.quiesce.test}, the one module this
 * package is exported to), which wraps it. It lives in main code, not in core's tests, so that the kit wraps this
 * one implementation instead of copying it; nothing in Quiesce uses it unless a test installs it.
 *
 * <h2>How waiters are woken</h2>
 * Every thread in a timed wait of this clock is registered with the virtual time it waits until.
 * <ul>
 *   <li>{@link #parkNanos}: {@link #advance} unparks every registered thread (after each action it runs and
 *       at the end), so a thread parked in {@code join()} or in the drain wakes at once and re-reads the time.
 *   <li>{@link #awaitNanos} (a {@link Condition}) and {@link #await} (a {@link CountDownLatch}) ignore a bare
 *       unpark (AQS parks again), and the clock cannot signal a condition whose lock it does not hold. So these
 *       wait in real slices of at most {@link #SLICE}: {@code awaitNanos} returns after one slice with what is
 *       left in virtual time (a spurious wake-up, which its callers handle by re-checking); {@code await} loops
 *       over slices until the latch opens or the virtual time has passed its deadline. A signal, a count-down
 *       or an interrupt still ends the wait at once. An advance therefore reaches them within one slice.
 *   <li>{@code parkNanos} also parks at most one slice, which covers the one race: a caller that read the
 *       time just before an advance and registered just after it.
 * </ul>
 * Nothing here is synchronised with the threads the advance wakes: time does not wait for them. A test that
 * wants exact times advances in steps, each after it has seen (with {@link #awaitWaiter}) that the next thread
 * waits until the time it is about to advance to.
 *
 * <p>Scheduled actions run on the thread that calls {@link #advance}, in order of their due time (ties in
 * the order they were scheduled), with the clock's time set to their due time while they run.
 *
 * <p>{@link #install()} installs it process-wide until the returned handle is closed; closing hands every
 * action still pending to the restored clock (with what was left of its delay) and wakes every waiter, so
 * nothing that outlives the test waits for a virtual time that will never come. Its {@link #nanoTime()} starts
 * at the {@link System#nanoTime()} of its creation, so such deadlines stay roughly right in real time.
 *
 * <p>Thread-safe.
 */
public final class ManualClock implements QuiesceClock {
    /** The longest real time a wait of this clock lasts before its thread re-checks the virtual time. */
    public static final Duration SLICE = Duration.ofMillis(5);
    private static final long SLICE_NANOS = SLICE.toNanos();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiterRegistered = lock.newCondition();
    private final PriorityQueue<Task> tasks = new PriorityQueue<>(
            Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.seq)); // no wrap: saturated
    private final Map<Thread, Long> waiters = new ConcurrentHashMap<>();
    private final Map<Thread, CountDownLatch> latchWaits = new ConcurrentHashMap<>(); // the waiters of await()
    private final long originNanos = System.nanoTime();
    private final Instant originInstant;
    private volatile long now = originNanos;
    private long seq; // under lock

    /** A clock at 2026-01-01T00:00:00Z. */
    public ManualClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** A clock whose {@link #instant()} is {@code origin} until it is advanced. */
    public ManualClock(Instant origin) {
        this.originInstant = origin;
    }

    /** Installs this clock for the whole process (see {@link Clocks#install}); close the handle to restore. */
    public Installed install() {
        return new Installed(Clocks.install(this));
    }

    /** The handle {@link #install()} returns. */
    public final class Installed implements AutoCloseable {
        private final Clocks.Installation installation;

        private Installed(Clocks.Installation installation) {
            this.installation = installation;
        }

        /** Restores the previous clock, hands it the pending actions and wakes every waiter. */
        @Override
        public void close() {
            installation.close();
            QuiesceClock restored = Clocks.installed();
            List<Task> pending = new ArrayList<>();
            lock.lock();
            try {
                pending.addAll(tasks);
                tasks.clear();
            } finally {
                lock.unlock();
            }
            for (Task t : pending) {
                if (!t.isDone()) {
                    restored.schedule(t, t.due - now);
                }
            }
            wakeParked();
        }
    }

    // ------------------------------------------------------------------ the test's controls

    /** The virtual time passed since this clock was created. */
    public Duration elapsed() {
        return Duration.ofNanos(now - originNanos);
    }

    /** The {@link #nanoTime()} value {@code sinceOrigin} after this clock's start. */
    public long nanoTimeAt(Duration sinceOrigin) {
        return originNanos + sinceOrigin.toNanos();
    }

    /** The {@link #instant()} {@code sinceOrigin} after this clock's start. */
    public Instant instantAt(Duration sinceOrigin) {
        return originInstant.plus(sinceOrigin);
    }

    /** Scheduled actions not yet run nor cancelled. */
    public int pendingActions() {
        lock.lock();
        try {
            return (int) tasks.stream().filter(t -> !t.isDone()).count();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the time forward by {@code d}: runs every action due by then, in order, each at its due time, then
     * sets the time to the end and wakes every waiting thread.
     */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock goes forward only: advance by zero or more, not " + d);
        }
        long target = Timers.saturatedAdd(now, Timers.saturatedNanos(d));
        for (;;) {
            Task next;
            lock.lock();
            try {
                next = tasks.peek();
                while (next != null && next.isDone()) {
                    tasks.poll();
                    next = tasks.peek();
                }
                if (next == null || next.due - target > 0) {
                    now = target;
                    break;
                }
                tasks.poll();
                if (next.due - now > 0) {
                    now = next.due;
                }
            } finally {
                lock.unlock();
            }
            wakeParked();
            next.run();
        }
        wakeParked();
    }

    /** The default bound of {@link #runUntilIdle()}: advances before it gives up on a loop that never idles. */
    public static final int MAX_IDLE_STEPS = 10_000;
    private static final long QUIET_NANOS = Duration.ofMillis(10).toNanos();
    private static final long POLL_NANOS = Duration.ofMillis(1).toNanos();

    /**
     * Runs the clock until nothing is due: waits (in real time) until the threads waiting on it have settled,
     * advances to the earliest next due time (a scheduled action or a waiting thread's deadline), waits for the
     * threads that advance woke to settle, and so on, until no action is pending and no thread waits on this
     * clock. Each step lands exactly on a due time, so the times Quiesce records are exact.
     *
     * <p>"Settled" means: every thread that was waiting on the clock before the step, and every subtask thread of
     * an open scope, waits on the clock for a later time, has ended, or blocks on something else (a lock, a latch,
     * a real sleep) without an interrupt pending, and neither the
     * waiting threads nor the pending actions have changed for 10 ms of real time. A thread that only starts
     * waiting after more real time than that (a long computation first) is missed: wait for it with
     * {@link #awaitWaiter} before calling this.
     *
     * @return the number of advances made
     * @throws IllegalStateException if it is still not idle after {@code maxSteps} advances (a periodic action,
     *     or a loop that waits on the clock forever); use {@link #advance} for such a timeline
     * @throws AssertionError if woken threads do not settle within {@code realPatience} of real time per step
     * @throws InterruptedException if interrupted while waiting for threads to settle
     */
    public int runUntilIdle(int maxSteps, Duration realPatience) throws InterruptedException {
        return run(maxSteps, realPatience, Long.MAX_VALUE, NEVER);
    }

    /** {@link #runUntilIdle(int, Duration)} with {@link #MAX_IDLE_STEPS} and 10 s of real patience per step. */
    public int runUntilIdle() throws InterruptedException {
        return runUntilIdle(MAX_IDLE_STEPS, DEFAULT_PATIENCE);
    }

    /**
     * Like {@link #runUntilIdle()}, but stops as soon as {@code done} holds once the threads have settled, and
     * never moves the time more than {@code limit} past where it is now (it stops short of a due time beyond).
     *
     * @return whether {@code done} held when it stopped
     * @throws IllegalStateException as {@link #runUntilIdle(int, Duration)} does
     * @throws AssertionError as {@link #runUntilIdle(int, Duration)} does
     * @throws InterruptedException if interrupted while waiting for threads to settle
     */
    public boolean runUntil(BooleanSupplier done, Duration limit) throws InterruptedException {
        long horizon = Timers.saturatedAdd(now, Timers.saturatedNanos(limit));
        run(MAX_IDLE_STEPS, DEFAULT_PATIENCE, horizon, done);
        return done.getAsBoolean();
    }

    /**
     * {@link #runUntil} again and again until {@code done} holds, waiting a real millisecond between runs for
     * threads that do not wait on the clock yet (a shutdown's coordinator right after the trigger): what a test
     * calls to let a whole timeline run out in virtual time. Each run moves the time at most {@code limit}'s
     * value ahead, read anew before each run (a shutdown's {@code remaining()}, so that the clock never reaches
     * the watchdog's time).
     *
     * @return whether {@code done} held before {@code realPatience} of real time had passed
     * @throws IllegalStateException as {@link #runUntilIdle(int, Duration)} does
     * @throws AssertionError as {@link #runUntilIdle(int, Duration)} does
     * @throws InterruptedException if interrupted while waiting for threads to settle
     */
    public boolean runUntilDone(BooleanSupplier done, Supplier<Duration> limit, Duration realPatience)
            throws InterruptedException {
        long start = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - start > realPatience.toNanos()) {
                return false;
            }
            if (!runUntil(done, limit.get())) {
                LockSupport.parkNanos(this, POLL_NANOS); // a bounded poll of observed state, in real time
            }
        }
        return true;
    }

    private static final BooleanSupplier NEVER = () -> false;
    private static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(10);

    private int run(int maxSteps, Duration realPatience, long horizon, BooleanSupplier done)
            throws InterruptedException {
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be zero or more, not " + maxSteps);
        }
        settle(new ArrayList<>(waiters.keySet()), realPatience);
        for (int steps = 0;; steps++) {
            long next = nextDue();
            if (next == Long.MIN_VALUE || done.getAsBoolean() || next - horizon > 0) {
                return steps;
            }
            if (steps == maxSteps) {
                throw new IllegalStateException("the clock did not become idle after " + maxSteps + " advances (at +"
                        + elapsed() + "; pending actions: " + pendingActions() + ", waiting threads: "
                        + describeWaiters() + "): a periodic action or a wait loop never ends; move the time with "
                        + "advance(Duration) instead, or end what keeps it busy");
            }
            List<Thread> woken = new ArrayList<>(waiters.keySet());
            advance(Duration.ofNanos(Math.max(0, next - now)));
            settle(woken, realPatience);
        }
    }

    /** The earliest due time of a pending action or a waiting thread, or {@code Long.MIN_VALUE} if none. */
    private long nextDue() {
        long next = Long.MIN_VALUE;
        lock.lock();
        try {
            for (Task t : tasks) {
                if (!t.isDone() && (next == Long.MIN_VALUE || t.due - next < 0)) {
                    next = t.due;
                }
            }
        } finally {
            lock.unlock();
        }
        for (long at : waiters.values()) {
            if (next == Long.MIN_VALUE || at - next < 0) {
                next = at;
            }
        }
        return next;
    }

    /** Waits until every thread of {@code woken} has settled and the clock's state has been quiet a while. */
    private void settle(List<Thread> woken, Duration realPatience) throws InterruptedException {
        long start = System.nanoTime();
        long quietSince = start;
        String last = null;
        for (;;) {
            String state = describeWaiters() + "/" + pendingActions();
            List<Thread> busy = new ArrayList<>();
            for (Thread t : woken) {
                if (!settled(t)) {
                    busy.add(t);
                }
            }
            List<Thread> watched = CurrentScope.liveSubtaskThreads(); // e.g. interrupted by a deadline just fired
            watched.addAll(Clocks.workers()); // a shutdown hook's thread, which the coordinator waits for
            latchWaits.forEach((t, latch) -> { // its latch opened: it returns as soon as it runs, not settled yet
                if (latch.getCount() == 0) {
                    watched.add(t);
                }
            });
            for (Thread t : watched) {
                if (!busy.contains(t) && (t.isInterrupted() || !settled(t))) {
                    busy.add(t);
                }
            }
            long realNow = System.nanoTime();
            if (!busy.isEmpty() || !state.equals(last)) {
                quietSince = realNow;
                last = state;
            } else if (realNow - quietSince >= QUIET_NANOS) {
                return;
            }
            if (realNow - start > realPatience.toNanos()) {
                var sb = new StringBuilder("threads woken by the clock at +" + elapsed() + " did not settle within "
                        + realPatience + " of real time (neither waiting on the clock again, nor blocked, nor ended):");
                for (Thread t : busy) {
                    sb.append("\n  \"").append(t.getName()).append("\" ").append(t.getState());
                    for (StackTraceElement f : t.getStackTrace()) {
                        sb.append("\n      at ").append(f);
                    }
                }
                throw new AssertionError(sb.toString());
            }
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted while waiting for the clock's threads to settle");
            }
            LockSupport.parkNanos(this, POLL_NANOS); // a bounded poll of observed state, in real time
        }
    }

    private boolean settled(Thread t) {
        CountDownLatch latch = latchWaits.get(t);
        if (latch != null && latch.getCount() == 0) {
            return false; // woken by the count-down, not yet back from the wait
        }
        Long at = waiters.get(t);
        if (at != null) {
            return at - now > 0;
        }
        return switch (t.getState()) {
            case TERMINATED, WAITING, BLOCKED, TIMED_WAITING -> true;
            case NEW, RUNNABLE -> false;
        };
    }

    /**
     * Waits, for at most {@code realTimeout} of real time, until some thread waits on this clock until
     * {@code sinceOrigin} after its start (for example the shutdown's coordinator in the drain, until the end
     * of the grace period): the observed state a test advances after.
     *
     * @return that thread
     * @throws AssertionError if none did within {@code realTimeout}, listing the threads that wait
     */
    public Thread awaitWaiter(Duration sinceOrigin, Duration realTimeout) throws InterruptedException {
        return awaitWaiters(sinceOrigin, 1, realTimeout).get(0);
    }

    /** Like {@link #awaitWaiter}, until {@code count} threads wait until {@code sinceOrigin}; returns them. */
    public List<Thread> awaitWaiters(Duration sinceOrigin, int count, Duration realTimeout) throws InterruptedException {
        long at = nanoTimeAt(sinceOrigin);
        long left = realTimeout.toNanos();
        lock.lock();
        try {
            for (;;) {
                List<Thread> found = new ArrayList<>();
                for (Map.Entry<Thread, Long> w : waiters.entrySet()) {
                    if (w.getValue() == at) {
                        found.add(w.getKey());
                    }
                }
                if (found.size() >= count) {
                    return found;
                }
                if (left <= 0) {
                    throw new AssertionError(count + " threads did not wait on the clock until +" + sinceOrigin
                            + " within " + realTimeout + "; at +" + elapsed() + " these wait: " + describeWaiters());
                }
                left = waiterRegistered.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private String describeWaiters() {
        var sb = new StringBuilder("[");
        waiters.forEach((t, at) -> sb.append(sb.length() > 1 ? ", " : "").append(t.getName()).append(" until +")
                .append(Duration.ofNanos(at - originNanos)));
        return sb.append(']').toString();
    }

    // ------------------------------------------------------------------ QuiesceClock

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Instant instant() {
        return originInstant.plusNanos(now - originNanos);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        lock.lock();
        try {
            var t = new Task(action, Timers.saturatedAdd(now, Math.max(0, delayNanos)), seq++);
            tasks.add(t);
            return t;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {
        if (nanos <= 0) {
            return;
        }
        long wakeAt = Timers.saturatedAdd(now, nanos);
        register(wakeAt);
        try {
            if (now - wakeAt < 0) { // an advance between the caller's read and the registration
                LockSupport.parkNanos(blocker, Math.min(nanos, SLICE_NANOS));
            }
        } finally {
            waiters.remove(Thread.currentThread());
        }
    }

    @Override
    public long awaitNanos(Condition condition, long nanos) throws InterruptedException {
        if (nanos <= 0) {
            return nanos;
        }
        long deadline = Timers.saturatedAdd(now, nanos);
        register(deadline);
        try {
            condition.awaitNanos(Math.min(nanos, SLICE_NANOS));
        } finally {
            waiters.remove(Thread.currentThread());
        }
        return deadline - now;
    }

    @Override
    public boolean await(CountDownLatch latch, long nanos) throws InterruptedException {
        if (nanos <= 0) {
            return latch.getCount() == 0;
        }
        long deadline = Timers.saturatedAdd(now, nanos);
        latchWaits.put(Thread.currentThread(), latch);
        register(deadline);
        try {
            for (;;) {
                if (latch.await(SLICE_NANOS, TimeUnit.NANOSECONDS)) {
                    return true;
                }
                if (now - deadline >= 0) {
                    return latch.getCount() == 0;
                }
            }
        } finally {
            waiters.remove(Thread.currentThread());
            latchWaits.remove(Thread.currentThread());
        }
    }

    private void register(long wakeAt) {
        waiters.put(Thread.currentThread(), wakeAt);
        lock.lock();
        try {
            waiterRegistered.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void wakeParked() {
        for (Thread t : waiters.keySet()) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public String toString() {
        return "ManualClock[+" + elapsed() + "]";
    }

    /** A scheduled action; cancelling it before it runs keeps it from running. */
    private final class Task extends FutureTask<Void> implements ScheduledFuture<Void> {
        final long due;
        final long seq;

        Task(Runnable action, long due, long seq) {
            super(action, null);
            this.due = due;
            this.seq = seq;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
