package dev.quiesce.benchmarks;

import dev.quiesce.Joiner;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Footprint: retained heap bytes per idle task, for a bare virtual thread, the virtual-thread executor,
 * the JDK 25 {@code StructuredTaskScope} and a Quiesce scope. Not a JMH benchmark: JMH measures time,
 * and its {@code gc} profiler reports allocation, not retained size.
 * <p>Method, per round: {@code System.gc()} until the used heap stops changing (at most 5 times), read
 * the used heap ({@link MemoryMXBean}) as the baseline; start {@code n} tasks that each park in
 * {@code Semaphore.acquire()} (one shared {@code Runnable} for every implementation), wait until the
 * semaphore's queue holds all {@code n}; collect the same way and read the used heap again; the
 * difference divided by {@code n} is the result. Then release and join everything. The first
 * {@code --warmup} rounds are discarded (their frames are interpreted, and interpreted frames are larger
 * in a parked virtual thread's stack); the rest are printed. The scope or executor object itself is in
 * the difference, spread over {@code n}. Run with a fixed heap ({@code -Xms = -Xmx}) so that the
 * collector does not resize between the two readings.
 * <p>Usage: {@code java --enable-preview -Xms2g -Xmx2g -cp benchmarks.jar dev.quiesce.benchmarks.Footprint
 * <bare|executor|jdk|quiesce> <n> [rounds] [warmup]}; prints one JSON object per line.
 */
public final class Footprint {

    private Footprint() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Footprint <bare|executor|jdk|quiesce> <n> [rounds=5] [warmup=2]");
            System.exit(2);
        }
        String impl = args[0];
        int n = Integer.parseInt(args[1]);
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        List<Double> perTask = new ArrayList<>();
        for (int r = 0; r < warmup + rounds; r++) {
            double b = round(impl, n);
            if (r >= warmup) {
                perTask.add(b);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "{\"impl\":\"%s\",\"n\":%d,\"bytesPerTask\":[", impl, n));
        for (int i = 0; i < perTask.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.1f", perTask.get(i)));
        }
        sb.append("],\"jvm\":\"").append(System.getProperty("java.vm.version")).append("\",\"gc\":\"");
        sb.append(ManagementFactory.getGarbageCollectorMXBeans().getFirst().getName()).append("\"}");
        System.out.println(sb);
    }

    private static double round(String impl, int n) throws Exception {
        Semaphore sem = new Semaphore(0);
        AtomicInteger ended = new AtomicInteger();
        Runnable task = () -> {
            try {
                sem.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended.incrementAndGet();
        };
        long before = settledUsedHeap();
        long after;
        switch (impl) {
            case "bare" -> {
                Thread.Builder.OfVirtual b = Thread.ofVirtual();
                for (int i = 0; i < n; i++) {
                    b.start(task); // kept alive by the semaphore's queue
                }
                after = measureIdle(sem, n);
                sem.release(n);
            }
            case "executor" -> {
                try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < n; i++) {
                        ex.execute(task);
                    }
                    after = measureIdle(sem, n);
                    sem.release(n);
                }
            }
            case "jdk" -> {
                try (var scope = StructuredTaskScope.open()) {
                    for (int i = 0; i < n; i++) {
                        scope.fork(task);
                    }
                    after = measureIdle(sem, n);
                    sem.release(n);
                    scope.join();
                }
            }
            case "quiesce" -> {
                try (var scope = dev.quiesce.Scope.open(Joiner.awaitAll())) {
                    for (int i = 0; i < n; i++) {
                        scope.fork(task);
                    }
                    after = measureIdle(sem, n);
                    sem.release(n);
                    scope.join();
                }
            }
            default -> throw new IllegalArgumentException("impl must be bare, executor, jdk or quiesce, was " + impl);
        }
        long deadline = System.nanoTime() + Workload.SETUP_TIMEOUT.toNanos();
        Workload.awaitTrue(deadline, () -> ended.get() == n, () -> ended.get() + " of " + n + " tasks ended");
        return (after - before) / (double) n;
    }

    private static long measureIdle(Semaphore sem, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Workload.SETUP_TIMEOUT.toNanos();
        Workload.awaitTrue(deadline, () -> sem.getQueueLength() == n,
                () -> sem.getQueueLength() + " of " + n + " tasks parked");
        return settledUsedHeap();
    }

    private static long settledUsedHeap() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long last = -1;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
            long used = mem.getHeapMemoryUsage().getUsed();
            if (used == last) {
                return used;
            }
            last = used;
        }
        return last;
    }
}
