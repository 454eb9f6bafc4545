package dev.quiesce.benchmarks;

import dev.quiesce.Joiner;
import java.time.Duration;
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
 * Fork cost: the time until {@code n} tasks have all <em>started</em> (each counts down a latch as its
 * first action, then parks on a gate), including opening the scope or executor.
 * <p>One invocation ({@code SingleShotTime}): a fresh <em>starter</em> thread (platform or virtual,
 * {@code starter}) waits for a latch; timed: the JMH thread counts it down, the starter opens the
 * scope (or executor), starts {@code n} tasks and waits until all have started, then signals the JMH
 * thread. The gate opens and everything is joined and closed in the tear-down, not timed. Divide the
 * score by {@code n} for the cost per task; the fixed part (one wake-up of the starter and of the JMH
 * thread, tens of microseconds) is the same for every implementation.
 * <ul>
 *   <li>{@code bare}: {@code Thread.ofVirtual().start(task)} &times; n (one builder, reused);
 *   <li>{@code executor}: {@code Executors.newVirtualThreadPerTaskExecutor().submit(task)} &times; n;
 *   <li>{@code jdk}: JDK 25 {@code StructuredTaskScope.open().fork(task)} &times; n;
 *   <li>{@code quiesce}: {@code Scope.open(Joiner.awaitAll()).fork(task)} &times; n.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 10)
@Fork(value = 3, jvmArgsAppend = {"--enable-preview", "-Xms4g", "-Xmx4g"})
@Timeout(time = 5, timeUnit = TimeUnit.MINUTES)
public class ForkCost {

    /** Number of tasks. */
    @Param({"1000", "10000", "100000"})
    public int n;

    /** How the tasks are started (see the class comment). */
    @Param({"bare", "executor", "jdk", "quiesce"})
    public String impl;

    /** The thread that starts the tasks: {@code platform} or {@code virtual}. */
    @Param({"platform", "virtual"})
    public String starter;

    private CountDownLatch go;
    private CountDownLatch started;
    private CountDownLatch done;
    private CountDownLatch gate;
    private Thread starterThread;
    private volatile boolean starterReady;
    private volatile Throwable failure;

    @Setup(Level.Invocation)
    public void setUp() throws Exception {
        go = new CountDownLatch(1);
        started = new CountDownLatch(n);
        done = new CountDownLatch(1);
        gate = new CountDownLatch(1);
        starterReady = false;
        failure = null;
        Thread.Builder b = switch (starter) {
            case "platform" -> Thread.ofPlatform();
            case "virtual" -> Thread.ofVirtual();
            default -> throw new IllegalArgumentException("starter must be platform or virtual, was " + starter);
        };
        starterThread = b.name("starter").start(this::start);
        long deadline = System.nanoTime() + Workload.SETUP_TIMEOUT.toNanos();
        Workload.awaitTrue(deadline, () -> starterReady && starterThread.getState() == Thread.State.WAITING,
                () -> "starter not waiting: " + starterThread.getState());
        System.gc();
    }

    @Benchmark
    public void startAll() throws Exception {
        go.countDown();
        if (!done.await(Workload.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            gate.countDown();
            throw new DidNotCompleteException(impl + ": " + started.getCount() + " of " + n + " tasks not started within "
                    + Workload.TIMEOUT.toSeconds() + " s");
        }
        if (failure != null) {
            throw new IllegalStateException(impl + " failed", failure);
        }
    }

    @TearDown(Level.Invocation)
    public void tearDown() throws Exception {
        gate.countDown();
        if (!starterThread.join(Workload.TIMEOUT)) {
            throw new DidNotCompleteException(impl + ": tasks did not end within " + Workload.TIMEOUT.toSeconds()
                    + " s after the gate opened");
        }
        if (failure != null) {
            throw new IllegalStateException(impl + " failed", failure);
        }
    }

    private void task() {
        started.countDown();
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start() {
        try {
            Runnable task = this::task;
            starterReady = true;
            go.await();
            switch (impl) {
                case "bare" -> {
                    Thread[] threads = new Thread[n];
                    Thread.Builder.OfVirtual b = Thread.ofVirtual();
                    for (int i = 0; i < n; i++) {
                        threads[i] = b.start(task);
                    }
                    allStarted();
                    for (Thread t : threads) {
                        t.join();
                    }
                }
                case "executor" -> {
                    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                        for (int i = 0; i < n; i++) {
                            ex.submit(task);
                        }
                        allStarted();
                    }
                }
                case "jdk" -> {
                    try (var scope = StructuredTaskScope.open()) {
                        for (int i = 0; i < n; i++) {
                            scope.fork(task);
                        }
                        allStarted();
                        scope.join();
                    }
                }
                case "quiesce" -> {
                    try (var scope = dev.quiesce.Scope.open(Joiner.awaitAll())) {
                        for (int i = 0; i < n; i++) {
                            scope.fork(task);
                        }
                        allStarted();
                        scope.join();
                    }
                }
                default -> throw new IllegalArgumentException("unknown impl " + impl);
            }
        } catch (Throwable t) {
            failure = t;
            done.countDown();
            gate.countDown();
        }
    }

    private void allStarted() throws InterruptedException {
        if (!started.await(Workload.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new DidNotCompleteException(started.getCount() + " of " + n + " tasks not started within "
                    + Duration.ofMillis(Workload.TIMEOUT.toMillis()).toSeconds() + " s");
        }
        done.countDown();
    }
}
