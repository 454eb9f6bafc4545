package dev.quiesce.benchmarks;

import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Timeout;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cancel-to-join latency: the time from a cancellation to the moment the canceller's wait has returned
 * and every task thread has terminated, with {@code n} tasks blocked as {@link Kind} says.
 *
 * <h2>One invocation</h2>
 * Set-up (not timed, {@code @Setup(Level.Invocation)}, the accepted use of that level for an operation
 * this long): a fresh <em>issuer</em> thread, platform or virtual ({@code issuer}), builds the tasks of
 * {@code impl}, then waits for its trigger. The set-up waits until every task has registered and counted
 * itself just before blocking, every task thread (leaves and nested owners) is observed
 * {@code WAITING}/{@code TIMED_WAITING} (for {@code cpu}: every leaf is in its loop) and the issuer is
 * waiting; then it runs {@code System.gc()} so that no collection of the previous invocation's garbage
 * falls into the measurement.
 * <p>Timed ({@code SingleShotTime}, one cancellation per invocation): the JMH thread triggers the issuer,
 * waits for the issuer thread to end (it has then done the implementation's cancel and its own wait), and
 * then joins every task thread ({@code Thread.join}), in the measured section, for every implementation
 * alike. Every wait is bounded by {@code -Dquiesce.bench.timeoutSeconds} (30 s): past it the invocation
 * fails with {@value DidNotCompleteException#MARKER}, which the results show as "did not complete".
 *
 * <h2>Implementations ({@code impl})</h2>
 * <ul>
 *   <li>{@code floor}: {@code n} bare virtual threads; the issuer interrupts each, then joins each. The
 *       floor of a kind and n is the better of {@code issuer=platform} and {@code issuer=virtual}.
 *   <li>{@code executor}: {@code Executors.newVirtualThreadPerTaskExecutor()}, {@code shutdownNow()},
 *       {@code awaitTermination}.
 *   <li>{@code jdkFlat}, {@code jdkNested} (10 &times; n/10), {@code jdkTree} (10 &times; 10 &times;
 *       n/100): the JDK 25 (preview) {@code StructuredTaskScope}, owned by the issuer, which waits in
 *       {@code join()}; the trigger interrupts the issuer (the JDK's way to cancel a scope from outside), so
 *       {@code join()} throws and {@code close()} cancels and waits. Inner scopes are opened in forked
 *       subtasks and reached by the interrupt of their owner.
 *   <li>{@code quiesceFlat}, {@code quiesceNested}, {@code quiesceTree}: Quiesce scopes
 *       ({@code Joiner.awaitAll()}) of the same shapes, owned by the issuer; on the trigger it calls
 *       {@code scope.cancel()}, then {@code join()} (which throws {@code CancelledException}) and
 *       {@code close()}. Inner scopes are cancelled by the root's {@code cancel()}.
 * </ul>
 * The trigger is {@code countDown()} of a latch the issuer waits on, except for the JDK scopes, where it
 * is {@code issuer.interrupt()}; either way the issuer is woken once from the JMH (platform) thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 5)
@Fork(value = 3, jvmArgsAppend = {"--enable-preview", "-Xms4g", "-Xmx4g"})
@Timeout(time = 5, timeUnit = TimeUnit.MINUTES)
public class CancelToJoin {

    /** Number of leaf tasks. */
    @Param({"1000", "10000", "100000"})
    public int n;

    /** How every leaf is blocked: {@code park}, {@code sleep}, {@code socket}, {@code cpu}. */
    @Param({"park", "sleep", "socket", "cpu"})
    public String kind;

    /** What is cancelled (see the class comment). */
    @Param({"floor", "executor", "jdkFlat", "jdkNested", "jdkTree", "quiesceFlat", "quiesceNested", "quiesceTree"})
    public String impl;

    /** The thread that builds the tasks and issues the cancellation: {@code platform} or {@code virtual}. */
    @Param({"platform", "virtual"})
    public String issuer;

    private static final boolean GC_BEFORE = Boolean.parseBoolean(System.getProperty("quiesce.bench.gc", "true"));

    /** {@code -Dquiesce.bench.breakdown=true}: print where each invocation's time went (diagnostics only). */
    private static final boolean BREAKDOWN = Boolean.getBoolean("quiesce.bench.breakdown");

    private Workload workload;
    private Thread issuerThread;
    private volatile long tGo;
    private volatile long tInterrupted; // the issuer's interrupt loop / cancel() returned
    private volatile long tWaited; // the issuer's own wait (join, awaitTermination) returned
    private CountDownLatch go;
    private volatile boolean issuerReady;
    private volatile Throwable issuerFailure;

    @Setup(Level.Invocation)
    public void setUp() throws Exception {
        Kind k = Kind.of(kind);
        workload = new Workload(k, n, owners(impl, n));
        go = new CountDownLatch(1);
        issuerReady = false;
        issuerFailure = null;
        Thread.Builder b = switch (issuer) {
            case "platform" -> Thread.ofPlatform();
            case "virtual" -> Thread.ofVirtual();
            default -> throw new IllegalArgumentException("issuer must be platform or virtual, was " + issuer);
        };
        issuerThread = b.name("issuer").unstarted(this::issue);
        long t0 = System.nanoTime();
        issuerThread.start();
        try {
            workload.awaitAllBlocked(issuerThread, () -> issuerReady || issuerFailure != null);
        } catch (RuntimeException | InterruptedException e) {
            forceEnd();
            throw e;
        }
        if (issuerFailure != null) {
            forceEnd();
            throw new IllegalStateException("issuer failed during set-up", issuerFailure);
        }
        if (GC_BEFORE) {
            System.gc();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (ms > 5_000) {
            System.err.println("note: set-up of this invocation took " + ms + " ms");
        }
    }

    @Benchmark
    public void cancelToJoin() throws Exception {
        long deadline = System.nanoTime() + Workload.TIMEOUT.toNanos();
        long heap0 = BREAKDOWN ? heapUsed() : 0;
        long gcs0 = BREAKDOWN ? gcCount() : 0;
        try {
            if (impl.startsWith("jdk")) {
                issuerThread.interrupt();
            } else {
                go.countDown();
            }
            long left = deadline - System.nanoTime();
            if (!issuerThread.join(java.time.Duration.ofNanos(Math.max(1, left)))) {
                throw workload.didNotComplete(impl + " (issuer " + issuer + ", still " + issuerThread.getState() + ")");
            }
            long tIssuerDone = System.nanoTime();
            workload.joinAll(deadline, impl);
            if (BREAKDOWN) {
                long end = System.nanoTime();
                System.err.printf("breakdown %s/%s: go->interrupted %.1f ms, ->issuer waited %.1f ms,"
                                + " ->issuer ended %.1f ms, ->all joined %.1f ms; heap %+d MB, %d GCs%n", impl, issuer,
                        (tInterrupted - tGo) / 1e6, (tWaited - tInterrupted) / 1e6,
                        (tIssuerDone - tWaited) / 1e6, (end - tIssuerDone) / 1e6,
                        (heapUsed() - heap0) >> 20, gcCount() - gcs0);
            }
        } catch (DidNotCompleteException e) {
            forceEnd();
            throw e;
        }
        if (issuerFailure != null) {
            throw new IllegalStateException(impl + ": the issuer failed", issuerFailure);
        }
    }

    @TearDown(Level.Invocation)
    public void tearDown() throws Exception {
        if (issuerThread.isAlive()) {
            forceEnd();
        }
        workload.close();
        workload = null;
        issuerThread = null;
    }

    private static long heapUsed() {
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long gcCount() {
        long n = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            n += gc.getCollectionCount();
        }
        return n;
    }

    private void forceEnd() throws InterruptedException {
        List<Thread> left = workload.forceEnd(issuerThread);
        if (!left.isEmpty()) {
            System.err.println("WARNING: " + left.size() + " task threads still alive after interrupting them all"
                    + " from the JMH thread (" + left.getFirst() + " " + left.getFirst().getState() + ")");
        }
        workload.close();
    }

    /** Threads that own a nested scope (not counting the issuer) for a shape. */
    static int owners(String impl, int n) {
        return switch (fanOut(impl, n).length) {
            case 1 -> 0;
            case 2 -> 10;
            default -> 110;
        };
    }

    /** Fan-out per level: flat {n}, nested {10, n/10}, tree {10, 10, n/100}. */
    static int[] fanOut(String impl, int n) {
        if (impl.endsWith("Nested")) {
            requireDivisible(n, 10);
            return new int[] {10, n / 10};
        }
        if (impl.endsWith("Tree")) {
            requireDivisible(n, 100);
            return new int[] {10, 10, n / 100};
        }
        return new int[] {n};
    }

    private static void requireDivisible(int n, int by) {
        if (n % by != 0 || n < by) {
            throw new IllegalArgumentException("n=" + n + " must be a multiple of " + by + " for this shape");
        }
    }

    // ------------------------------------------------------------------ the issuer thread

    private void issue() {
        try {
            int[] fan = fanOut(impl, n);
            switch (impl) {
                case "floor" -> floor();
                case "executor" -> executor();
                case "jdkFlat", "jdkNested", "jdkTree" -> jdk(fan);
                case "quiesceFlat", "quiesceNested", "quiesceTree" -> quiesce(fan);
                default -> throw new IllegalArgumentException("unknown impl " + impl);
            }
        } catch (Throwable t) {
            issuerFailure = t;
        }
    }

    /** Waits for the trigger (everything but the JDK scopes). */
    private void awaitGo() throws InterruptedException {
        issuerReady = true;
        go.await();
        tGo = System.nanoTime();
    }

    private void floor() throws InterruptedException {
        Thread[] threads = new Thread[n];
        Thread.Builder.OfVirtual b = Thread.ofVirtual();
        Runnable leaf = this::bareLeaf;
        for (int i = 0; i < n; i++) {
            threads[i] = b.start(leaf);
        }
        awaitGo();
        for (Thread t : threads) {
            t.interrupt();
        }
        tInterrupted = System.nanoTime();
        for (Thread t : threads) {
            t.join();
        }
        tWaited = System.nanoTime();
    }

    /** A leaf on a bare thread: ends quietly when interrupted, like any task that handles its interrupt. */
    private void bareLeaf() {
        try {
            workload.leaf();
        } catch (InterruptedException e) {
            // cancelled
        } catch (SocketException e) {
            if (!Thread.currentThread().isInterrupted()) {
                issuerFailure = e;
            }
        } catch (Exception e) {
            issuerFailure = e;
        }
    }

    private void executor() throws InterruptedException {
        ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
        Workload w = workload;
        for (int i = 0; i < n; i++) {
            ex.submit(w::leafCall);
        }
        awaitGo();
        ex.shutdownNow();
        tInterrupted = System.nanoTime();
        if (!ex.awaitTermination(Workload.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("executor did not terminate");
        }
        tWaited = System.nanoTime();
    }

    private void jdk(int[] fan) throws Exception {
        try (var scope = StructuredTaskScope.open()) {
            jdkLevel(scope, fan, 0);
            issuerReady = true;
            scope.join(); // the trigger interrupts us here
            throw new IllegalStateException("StructuredTaskScope.join() returned without being interrupted");
        } catch (InterruptedException expected) {
            // close() has cancelled the scope and waited for its threads
            tGo = tInterrupted = tWaited = System.nanoTime(); // not separable: close() does both
        }
    }

    private void jdkLevel(StructuredTaskScope<Object, Void> scope, int[] fan, int level) {
        Workload w = workload;
        if (level == fan.length - 1) {
            for (int i = 0; i < fan[level]; i++) {
                scope.fork(w::leafCall);
            }
            return;
        }
        for (int i = 0; i < fan[level]; i++) {
            scope.fork(() -> {
                w.register();
                try (var inner = StructuredTaskScope.open()) {
                    jdkLevel(inner, fan, level + 1);
                    w.ownerWaiting();
                    inner.join();
                }
                return null;
            });
        }
    }

    private void quiesce(int[] fan) throws InterruptedException {
        try (var scope = dev.quiesce.Scope.open(Joiner.awaitAll())) {
            quiesceLevel(scope, fan, 0);
            awaitGo();
            scope.cancel();
            tInterrupted = System.nanoTime();
            try {
                scope.join();
                throw new IllegalStateException("join() returned normally after cancel()");
            } catch (CancelledException expected) {
                // cancelled, and every subtask counted down
            }
            tWaited = System.nanoTime();
        }
    }

    private void quiesceLevel(dev.quiesce.Scope<Object, Void> scope, int[] fan, int level) {
        Workload w = workload;
        if (level == fan.length - 1) {
            for (int i = 0; i < fan[level]; i++) {
                scope.fork(w::leafCall);
            }
            return;
        }
        for (int i = 0; i < fan[level]; i++) {
            scope.fork(() -> {
                w.register();
                try (var inner = dev.quiesce.Scope.open(Joiner.awaitAll())) {
                    quiesceLevel(inner, fan, level + 1);
                    w.ownerWaiting();
                    inner.join();
                }
                return null;
            });
        }
    }
}
