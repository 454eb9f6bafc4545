package dev.quiesce.benchmarks;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;

/**
 * The tasks of one {@link CancelToJoin} invocation: the leaf task body for each {@link Kind}, a
 * registry of every task thread (leaves and the owners of nested scopes), and bounded waits for the
 * set-up conditions and for termination.
 * <p>Every wait here is bounded: a benchmark that cannot complete fails with
 * {@link DidNotCompleteException} instead of hanging the suite.
 */
final class Workload implements AutoCloseable {

    /** Bound of every measured operation: {@code -Dquiesce.bench.timeoutSeconds}, default 30. */
    static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("quiesce.bench.timeoutSeconds", 30));

    /** Bound of setting up one invocation (starting and blocking every task). */
    static final Duration SETUP_TIMEOUT = Duration.ofSeconds(Long.getLong("quiesce.bench.setupTimeoutSeconds", 120));

    final Kind kind;
    final int leaves;
    final int owners; // threads that own a nested scope and wait in its join()

    private final AtomicReferenceArray<Thread> threads;
    private final AtomicInteger registered = new AtomicInteger();
    private final AtomicInteger leavesBlocked = new AtomicInteger();
    private final AtomicInteger ownersWaiting = new AtomicInteger();
    private final AtomicInteger spinning = new AtomicInteger();
    // CPU tasks park until all have started; then one virtual thread unparks them all (see awaitAllBlocked)
    private final AtomicReferenceArray<Thread> cpuLeaves;
    private final AtomicInteger cpuLeafCount = new AtomicInteger();
    private volatile boolean cpuReleased;
    private final LoopbackSockets sockets;

    Workload(Kind kind, int leaves, int owners) throws IOException {
        this.kind = kind;
        this.leaves = leaves;
        this.owners = owners;
        this.threads = new AtomicReferenceArray<>(leaves + owners);
        this.cpuLeaves = new AtomicReferenceArray<>(kind == Kind.CPU ? leaves : 0);
        this.sockets = kind == Kind.SOCKET ? new LoopbackSockets(leaves) : null;
    }

    // ------------------------------------------------------------------ task bodies

    /** The body of a leaf task: registers its thread, then blocks as {@link #kind} says until interrupted. */
    void leaf() throws Exception {
        register();
        switch (kind) {
            case PARK -> {
                // A latch of its own: with one latch shared by all, every interrupted waiter's node removal
                // walks the shared AQS queue, which makes any cancellation quadratic in n.
                CountDownLatch never = new CountDownLatch(1);
                leavesBlocked.incrementAndGet();
                never.await();
            }
            case SLEEP -> {
                leavesBlocked.incrementAndGet();
                Thread.sleep(Duration.ofDays(1));
            }
            case SOCKET -> {
                Socket s = sockets.next();
                leavesBlocked.incrementAndGet();
                int b = s.getInputStream().read(); // interrupted: the JDK closes the socket and throws
                throw new IllegalStateException("read on an idle loopback socket returned " + b);
            }
            case CPU -> {
                cpuLeaves.set(cpuLeafCount.getAndIncrement(), Thread.currentThread());
                leavesBlocked.incrementAndGet();
                while (!cpuReleased) {
                    LockSupport.park(this);
                    if (Thread.interrupted()) {
                        throw new InterruptedException("interrupted before the CPU gate opened");
                    }
                }
                spinning.incrementAndGet();
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.yield();
                }
            }
        }
    }

    /** The leaf body as a {@code Callable} (for executors and scopes). */
    Void leafCall() throws Exception {
        leaf();
        return null;
    }

    /** Called by a thread that owns a nested scope, at the start of its task. */
    void register() {
        int i = registered.getAndIncrement();
        if (i >= threads.length()) {
            throw new IllegalStateException("more task threads than expected (" + threads.length() + ")");
        }
        threads.set(i, Thread.currentThread());
    }

    /** Called by a nested scope's owner just before it waits in {@code join()}. */
    void ownerWaiting() {
        ownersWaiting.incrementAndGet();
    }

    // ------------------------------------------------------------------ set-up

    /**
     * Waits until every leaf and owner has registered and announced it is about to block, then until
     * every such thread is observed blocked ({@code WAITING} / {@code TIMED_WAITING}); for {@link Kind#CPU}
     * then opens the gate and waits until every leaf is in its loop.
     */
    void awaitAllBlocked(Thread issuer, BooleanSupplier issuerReady) throws InterruptedException {
        long deadline = System.nanoTime() + SETUP_TIMEOUT.toNanos();
        awaitTrue(deadline, () -> leavesBlocked.get() == leaves && ownersWaiting.get() == owners
                && registered.get() == leaves + owners && issuerReady.getAsBoolean(),
                () -> "set-up: " + leavesBlocked.get() + "/" + leaves + " leaves blocked, " + ownersWaiting.get() + "/"
                        + owners + " owners waiting, issuer ready " + issuerReady.getAsBoolean());
        List<Thread> pending = new ArrayList<>();
        for (int i = 0; i < threads.length(); i++) {
            Thread t = threads.get(i);
            if (!isBlocked(t)) {
                pending.add(t);
            }
        }
        while (!pending.isEmpty()) { // the few that counted themselves but have not parked yet
            if (System.nanoTime() - deadline > 0) {
                Thread t = pending.getFirst();
                throw new DidNotCompleteException("set-up: " + pending.size() + " threads not blocked, e.g. " + t
                        + " " + t.getState());
            }
            Thread.sleep(1);
            pending.removeIf(Workload::isBlocked);
        }
        if (issuer != null) {
            awaitTrue(deadline, () -> isBlocked(issuer), () -> "set-up: issuer " + issuer + " not waiting: "
                    + issuer.getState());
        }
        if (kind == Kind.CPU) {
            // One virtual thread unparks every leaf in a row, before any of them spins (it is started while the
            // carriers are idle). Not a shared latch: its waiters wake one another in a chain, and each link
            // waits for the carrier to cycle through every leaf already spinning, which is quadratic in n.
            // Not this platform thread either: its wake-ups go to the scheduler's external queue, which
            // carriers busy with yielding virtual threads may never poll (DESIGN.md, scope engine point 11).
            Thread.ofVirtual().name("cpu-gate").start(this::releaseCpuLeaves).join();
            awaitTrue(deadline, () -> spinning.get() == leaves,
                    () -> "set-up: only " + spinning.get() + " of " + leaves + " CPU tasks reached their loop");
        }
    }

    private void releaseCpuLeaves() {
        cpuReleased = true;
        for (int i = 0; i < leaves; i++) {
            LockSupport.unpark(cpuLeaves.get(i));
        }
    }

    private static boolean isBlocked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    // ------------------------------------------------------------------ measured part

    /**
     * Joins every registered task thread, bounded by {@code deadline} ({@link System#nanoTime()}).
     * @throws DidNotCompleteException if a thread is still alive at the deadline
     */
    void joinAll(long deadline, String what) throws InterruptedException {
        for (int i = 0, n = registered.get(); i < n; i++) {
            Thread t = threads.get(i);
            if (t.isAlive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(Duration.ofNanos(left))) {
                    throw didNotComplete(what);
                }
            }
        }
    }

    /** A failure that says how many task threads are still alive and in which states. */
    DidNotCompleteException didNotComplete(String what) {
        int alive = 0;
        var states = new java.util.EnumMap<Thread.State, Integer>(Thread.State.class);
        for (int i = 0, n = registered.get(); i < n; i++) {
            Thread t = threads.get(i);
            if (t.isAlive()) {
                alive++;
                states.merge(t.getState(), 1, Integer::sum);
            }
        }
        return new DidNotCompleteException(what + " did not complete within " + TIMEOUT.toSeconds() + " s: " + alive
                + " of " + registered.get() + " task threads still alive " + states);
    }

    /**
     * Ends whatever is left after a failure: interrupts every live task thread from this (platform)
     * thread and waits a bounded time. Returns the threads still alive.
     */
    List<Thread> forceEnd(Thread issuer) throws InterruptedException {
        if (issuer != null) {
            issuer.interrupt();
        }
        cpuReleased = true;
        for (int i = 0, n = registered.get(); i < n; i++) {
            threads.get(i).interrupt();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Thread> left = new ArrayList<>();
        for (int i = 0, n = registered.get(); i < n; i++) {
            Thread t = threads.get(i);
            long ns = deadline - System.nanoTime();
            if (t.isAlive() && (ns <= 0 || !t.join(Duration.ofNanos(ns)))) {
                left.add(t);
            }
        }
        return left;
    }

    @Override
    public void close() {
        if (sockets != null) {
            sockets.close();
        }
    }

    static void awaitTrue(long deadline, BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new DidNotCompleteException(what.get());
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.sleep(1);
            }
        }
    }
}
