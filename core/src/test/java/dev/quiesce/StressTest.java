package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random interleavings of fork, subtask cancel, scope cancel (from the owner, from another thread,
 * by deadline), failures and nested scopes. For each run: join and close return, no task is lost
 * (every subtask ends SUCCESS, FAILED or CANCELLED), every failure is accounted for, and no thread
 * outlives its scope. The repeat count comes from the system property {@code quiesce.stress.repeats}
 * (200 by default, more with {@code -Pstress}); a failing run prints its seed.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StressTest {

    private static final int REPEATS = Integer.getInteger("quiesce.stress.repeats", 200);

    enum Kind { SUCCEED, FAIL, BLOCK, WAIT_FOR_RELEASE, NESTED }

    enum Cancel { NONE, OWNER_BEFORE_JOIN, OTHER_THREAD, DEADLINE, SUBTASKS }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void randomInterleavings_loseNoTask_leakNoThread_andNeverHang(Threads threads) throws Exception {
        long base = Long.getLong("quiesce.stress.seed", System.nanoTime());
        for (int i = 0; i < REPEATS; i++) {
            long seed = base + i;
            try {
                runOnce(threads, new Random(seed), Cancel.values()[i % Cancel.values().length]);
            } catch (Throwable t) {
                throw new AssertionError("stress run failed; rerun with -Dquiesce.stress.seed=" + seed
                        + " (cancel mode " + Cancel.values()[i % Cancel.values().length] + ")", t);
            }
        }
    }

    private static void runOnce(Threads threads, Random rnd, Cancel cancel) throws Exception {
        int n = 1 + rnd.nextInt(24);
        var release = new CountDownLatch(1);
        var threadsSeen = new CopyOnWriteArrayList<Thread>();
        var thrown = new CopyOnWriteArrayList<Throwable>();
        List<Subtask<Object>> subtasks = new ArrayList<>();
        Joiner<Object, ?> joiner = switch (rnd.nextInt(3)) {
            case 0 -> Joiner.awaitAll();
            case 1 -> Joiner.awaitAllSuccessfulOrThrow();
            default -> Joiner.anySuccessfulResultOrThrow();
        };
        var cfg = cancel == Cancel.DEADLINE
                ? threads.cfg(c -> c.withTimeout(Duration.ofMillis(1 + rnd.nextInt(5))))
                : threads.cfg();
        Thread other = null;
        try (var scope = Scope.open(joiner, cfg)) {
            for (int t = 0; t < n; t++) {
                Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
                subtasks.add(scope.fork(() -> task(kind, release, threadsSeen, thrown, threads)));
                if (cancel == Cancel.OTHER_THREAD && t == n / 2) {
                    other = Thread.ofPlatform().start(() -> scope.cancel(CancelReason.explicit("other")));
                }
            }
            switch (cancel) {
                case OWNER_BEFORE_JOIN -> scope.cancel();
                case SUBTASKS -> subtasks.forEach(s -> {
                    if (rnd.nextBoolean()) {
                        s.cancel();
                    }
                });
                default -> { }
            }
            if (cancel != Cancel.DEADLINE) {
                release.countDown(); // WAIT_FOR_RELEASE tasks may finish; BLOCK tasks need a cancel
                if (cancel == Cancel.NONE || cancel == Cancel.SUBTASKS) {
                    // without a scope cancel, BLOCK tasks would run forever: cancel them individually
                    subtasks.forEach(Subtask::cancel);
                }
            }
            try {
                scope.join();
            } catch (FailedException | CancelledException e) {
                // outcomes depend on the interleaving; the invariants below do not
            }
        }
        if (other != null) {
            other.join();
        }
        release.countDown();
        for (Subtask<Object> s : subtasks) {
            assertThat(s.state()).isNotEqualTo(Subtask.State.UNAVAILABLE);
            if (s.state() == Subtask.State.FAILED) {
                assertThat(thrown).contains(s.exception());
            }
        }
        // Every task's code has finished when close() returns; the thread itself terminates right after
        // (it may still be in its last instructions), so join, bounded by the test timeout.
        for (Thread t : threadsSeen) {
            t.join();
        }
        assertThat(subtasks.stream().filter(s -> s.state() == Subtask.State.FAILED).count())
                .isEqualTo(thrown.size());
    }

    private static Object task(Kind kind, CountDownLatch release, List<Thread> threadsSeen, List<Throwable> thrown,
            Threads threads) throws Exception {
        threadsSeen.add(Thread.currentThread());
        switch (kind) {
            case SUCCEED -> {
                return "ok";
            }
            case FAIL -> {
                var e = new IllegalStateException("planned failure");
                thrown.add(e);
                throw e;
            }
            case BLOCK -> {
                Threads.sleepForever();
                return null;
            }
            case WAIT_FOR_RELEASE -> {
                release.await();
                return "released";
            }
            case NESTED -> {
                try (var child = Scope.open(Joiner.awaitAll(), threads.cfg())) {
                    child.fork(() -> {
                        threadsSeen.add(Thread.currentThread());
                        release.await();
                        return null;
                    });
                    child.join();
                }
                return "nested";
            }
            default -> throw new AssertionError(kind);
        }
    }
}
