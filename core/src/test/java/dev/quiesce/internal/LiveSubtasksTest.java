package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The chunked slot list that holds a scope's running subtasks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LiveSubtasksTest {

    /** A scope that forks forever, like a server's request scope, holds only what still runs. */
    @Test
    void aLongLivedScope_thatForksAndFinishesManyTasks_keepsOneChunk() throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("server"))) {
            var impl = (ScopeImpl<?, ?>) scope;
            for (int batch = 0; batch < 40; batch++) {
                for (int i = 0; i < 500; i++) {
                    scope.fork(() -> {});
                }
                awaitTrue(() -> impl.runningCount() == 0); // every exit (and its slot release) is done
            }
            // 20 000 forks would be 26 chunks if used chunks were kept
            assertThat(impl.liveChunkCount()).isEqualTo(1);
            scope.join();
        }
    }

    @Test
    void concurrentAddsAndRemoves_fromManyThreads_loseAndDuplicateNothing_andReleaseEveryChunk() throws Exception {
        int threads = 4;
        int perThread = 30_000;
        var live = new LiveSubtasks();
        var barrier = new CyclicBarrier(threads + 1);
        List<List<SubtaskImpl<?>>> added = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<SubtaskImpl<?>> mine = new ArrayList<>();
            added.add(mine);
            long seed = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    barrier.await();
                    for (int i = 0; i < perThread; i++) {
                        var s = new SubtaskImpl<>(null, () -> null, null);
                        live.add(s);
                        mine.add(s);
                    }
                    barrier.await(); // the main thread looks at the full set
                    barrier.await();
                    Collections.shuffle(mine, new Random(seed));
                    for (SubtaskImpl<?> s : mine) {
                        live.remove(s);
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }
        barrier.await(); // go
        barrier.await(); // all added
        Set<SubtaskImpl<?>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        var visits = new AtomicInteger();
        live.forEach(s -> {
            seen.add(s);
            visits.incrementAndGet();
        });
        assertThat(visits.get()).isEqualTo(threads * perThread);
        for (List<SubtaskImpl<?>> mine : added) {
            assertThat(seen.containsAll(mine)).as("every added subtask is visited").isTrue();
        }
        barrier.await(); // remove
        for (Thread w : workers) {
            w.join();
        }
        var left = new AtomicInteger();
        live.forEach(s -> left.incrementAndGet());
        assertThat(left.get()).isZero();
        assertThat(live.chunkCount()).isEqualTo(1);
        // a removed subtask that someone keeps (a Subtask handle) keeps no chunk alive
        assertThat(added).allSatisfy(mine -> assertThat(mine).allMatch(s -> s.chunk == null));
    }

    /**
     * A helper that claimed a chunk and then never ran on must not stall the cancellation: the canceller's
     * second pass interrupts that chunk's subtasks, and every subtask is interrupted exactly once.
     */
    @Test
    void theCancellersSecondPass_coversAChunkWhoseClaimerStalled_andEachTaskIsInterruptedOnce() throws Exception {
        int n = LiveSubtasks.FIRST_CHUNK + 12;
        var live = new LiveSubtasks();
        var release = new CountDownLatch(1);
        var sawInterrupt = new CountDownLatch(n);
        List<SubtaskImpl<?>> subtasks = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var s = new SubtaskImpl<>(null, () -> null, null);
            Thread t = Thread.ofVirtual().unstarted(() -> {
                for (;;) {
                    try {
                        release.await();
                        return;
                    } catch (InterruptedException e) {
                        sawInterrupt.countDown();
                    }
                }
            });
            s.bind(t);
            live.add(s);
            subtasks.add(s);
            threads.add(t);
            t.start();
        }
        LiveSubtasks.Chunk first = subtasks.get(0).chunk;
        first.cursor = LiveSubtasks.FIRST_CHUNK; // a helper claimed the first chunk and stalled before interrupting it

        assertThat(live.interruptUnclaimed(System.nanoTime())).isEqualTo(n - LiveSubtasks.FIRST_CHUNK);
        assertThat(live.interruptUnfinished(System.nanoTime())).isEqualTo(LiveSubtasks.FIRST_CHUNK);
        sawInterrupt.await(); // every thread got its interrupt
        assertThat(live.interruptUnfinished(System.nanoTime())).isZero();
        assertThat(live.interruptUnclaimed(System.nanoTime())).isZero();
        for (SubtaskImpl<?> s : subtasks) {
            assertThat(s.interruptForCancel(System.nanoTime())).as("a second interrupt").isFalse();
        }
        release.countDown();
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * Two walkers share one large chunk: while a helper is stuck in the first interrupt of a 1 024-slot chunk, the
     * canceller's first pass still interrupts the rest of that chunk (the helper claimed one run of slots, not the
     * chunk), and after the second pass every subtask has been interrupted exactly once.
     */
    @Test
    void aHelperStuckInALargeChunk_leavesTheRestOfThatChunkToTheCancellersFirstPass() throws Exception {
        var live = new LiveSubtasks();
        List<SubtaskImpl<?>> before = new ArrayList<>();
        for (int size = LiveSubtasks.FIRST_CHUNK; size < LiveSubtasks.MAX_CHUNK; size *= 2) {
            for (int i = 0; i < size; i++) { // fill the chunks of 8 .. 512 slots
                before.add(counted(live, new Counting()));
            }
        }
        var stuck = new Counting(true);
        SubtaskImpl<?> first = counted(live, stuck);
        assertThat(first.slot).as("the first slot of a new chunk").isZero();
        assertThat(first.chunk.slots).hasSize(LiveSubtasks.MAX_CHUNK);
        List<SubtaskImpl<?>> rest = new ArrayList<>();
        for (int i = 1; i < LiveSubtasks.MAX_CHUNK; i++) {
            rest.add(counted(live, new Counting()));
        }
        var helped = new AtomicInteger();
        Thread helper = Thread.ofPlatform().start(() -> helped.set(live.interruptUnclaimed(1)));
        stuck.entered.await(); // the helper is inside the first interrupt of the large chunk

        int canceller = live.interruptUnclaimed(1);
        assertThat(canceller).as("the canceller's first pass, while the helper holds one run of the large chunk")
                .isGreaterThanOrEqualTo(LiveSubtasks.MAX_CHUNK / 2);
        canceller += live.interruptUnfinished(1); // the helper's unfinished run
        stuck.release.countDown();
        helper.join();
        assertThat(canceller + helped.get()).isEqualTo(before.size() + 1 + rest.size());
        for (List<SubtaskImpl<?>> group : List.of(before, List.<SubtaskImpl<?>>of(first), rest)) {
            assertThat(group).allSatisfy(s -> assertThat(((Counting) s.thread).interrupts.get()).isEqualTo(1));
        }
    }

    private static SubtaskImpl<?> counted(LiveSubtasks live, Thread t) {
        var s = new SubtaskImpl<>(null, () -> null, null);
        s.bind(t);
        live.add(s);
        return s;
    }

    /** An unstarted thread that counts interrupts; a blocking one waits in its first until released. */
    private static final class Counting extends Thread {
        final AtomicInteger interrupts = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final boolean blocks;

        Counting() {
            this(false);
        }

        Counting(boolean blocks) {
            super(() -> {});
            this.blocks = blocks;
        }

        @Override
        public void interrupt() {
            interrupts.incrementAndGet();
            if (blocks) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(1);
        }
    }
}
