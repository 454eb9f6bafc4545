package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;

/**
 * What one fork costs beyond the bare virtual thread it starts (issue 16, fork cost): the objects it allocates
 * and the frames it adds under the task. Allocation is counted, not timed ({@code ThreadMXBean}'s per-thread
 * allocated bytes of the platform thread that forks, compared with {@code Thread.ofVirtual().start} on the same
 * thread in the same JVM).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForkPathTest {

    private static final int N = 5_000;

    /** A Runnable runs as itself, directly under the subtask: no Callable wrapper and its frame in every stack. */
    @Test
    void aForkedRunnable_runsDirectlyUnderTheSubtask_withNoWrapperFrame() throws Exception {
        var frames = new AtomicReference<List<StackTraceElement>>();
        try (var scope = Scope.open(Joiner.awaitAll())) {
            scope.fork(() -> frames.set(Arrays.asList(new Throwable().getStackTrace())));
            scope.join();
        }
        List<StackTraceElement> st = frames.get();
        // [0] the lambda body, then what called it
        int below = 1;
        while (below < st.size() && !st.get(below).getClassName().startsWith("dev.quiesce.internal.")) {
            below++; // the lambda's own synthetic frames (hidden on most JVMs)
        }
        assertThat(st.get(below).getClassName()).isEqualTo(SubtaskImpl.class.getName());
        assertThat(st).noneMatch(e -> e.getClassName().startsWith(ScopeImpl.class.getName()));
    }

    /** A task that is both a Runnable and a Callable, forked as a Runnable, is run(), not call()ed. */
    @Test
    void aTaskThatIsBothRunnableAndCallable_forkedAsARunnable_isRun() throws Exception {
        class Both implements Runnable, Callable<String> {
            volatile String ran = "";

            @Override
            public void run() {
                ran += "run";
            }

            @Override
            public String call() {
                ran += "call";
                return "called";
            }
        }
        var both = new Both();
        try (var scope = Scope.open(Joiner.<Object>awaitAll())) {
            var asRunnable = scope.fork((Runnable) both);
            scope.join();
            assertThat(asRunnable.get()).isNull();
        }
        assertThat(both.ran).isEqualTo("run");
        try (var scope = Scope.open(Joiner.<Object>awaitAll())) {
            var asCallable = scope.fork((Callable<String>) both);
            scope.join();
            assertThat(asCallable.get()).isEqualTo("called");
        }
        assertThat(both.ran).isEqualTo("runcall");
    }

    /** With a context to carry (the MDC), a forked Runnable still runs as itself, with the context restored. */
    @Test
    void aForkedRunnable_withAnMdcToCarry_runsWithIt() throws Exception {
        var seen = new AtomicReference<String>();
        MDC.put("request", "r-16");
        try (var scope = Scope.open(Joiner.awaitAll())) {
            scope.fork(() -> seen.set(MDC.get("request")));
            scope.join();
        } finally {
            MDC.remove("request");
        }
        assertThat(seen.get()).isEqualTo("r-16");
    }

    /**
     * Beyond the bare thread, a fork allocates its subtask and nothing else (measured: 72 bytes with compressed
     * class pointers; before, 88: a Callable wrapped every Runnable).
     */
    @Test
    void aFork_allocatesOnlyItsSubtask_beyondTheBareVirtualThread() throws Exception {
        var tmx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] perFork = new long[2];
        Thread owner = Thread.ofPlatform().name("fork-path-owner").start(() -> {
            try {
                for (int round = 0; round < 4; round++) { // the first rounds warm up (and compile) both paths
                    perFork[0] = bare(tmx);
                    perFork[1] = quiesce(tmx);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.join();
        long extra = perFork[1] - perFork[0];
        assertThat(extra)
                .as("bytes a fork allocates beyond Thread.ofVirtual().start (bare %d, quiesce %d per task)", perFork[0],
                        perFork[1])
                .isLessThanOrEqualTo(80);
    }

    private static long bare(com.sun.management.ThreadMXBean tmx) throws InterruptedException {
        var gate = new CountDownLatch(1);
        Runnable task = () -> awaitQuietly(gate);
        Thread[] threads = new Thread[N];
        Thread.Builder.OfVirtual b = Thread.ofVirtual();
        long before = tmx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < N; i++) {
            threads[i] = b.start(task);
        }
        long bytes = tmx.getCurrentThreadAllocatedBytes() - before;
        gate.countDown();
        for (Thread t : threads) {
            t.join();
        }
        return bytes / N;
    }

    private static long quiesce(com.sun.management.ThreadMXBean tmx) throws InterruptedException {
        var gate = new CountDownLatch(1);
        Runnable task = () -> awaitQuietly(gate);
        long bytes;
        try (var scope = Scope.open(Joiner.awaitAll())) {
            long before = tmx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < N; i++) {
                scope.fork(task);
            }
            bytes = tmx.getCurrentThreadAllocatedBytes() - before;
            gate.countDown();
            scope.join();
        }
        return bytes / N;
    }

    private static void awaitQuietly(CountDownLatch gate) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
