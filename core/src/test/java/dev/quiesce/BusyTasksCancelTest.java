package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DESIGN.md, scope engine point 11: with CPU-busy tasks that poll the interrupt flag and yield, a
 * virtual thread woken from a platform thread can starve, so a cancel path that waits for one to be
 * scheduled can hang. Quiesce's cancel interrupts every thread directly from the cancelling thread.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BusyTasksCancelTest {

    private static final int TASKS = 1_000;

    enum Canceller { PLATFORM_THREAD, VIRTUAL_THREAD }

    /** Spins until interrupted, yielding between polls, like a CPU-bound loop with a cancellation check. */
    static void busyUntilInterrupted(AtomicInteger started, AtomicInteger finished) {
        started.incrementAndGet();
        while (!Thread.currentThread().isInterrupted()) {
            Thread.yield();
        }
        finished.incrementAndGet();
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancelCompletes_withAThousandBusyYieldingTasks_fromAPlatformThread(Threads threads) throws Exception {
        run(threads, Canceller.PLATFORM_THREAD);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancelCompletes_withAThousandBusyYieldingTasks_fromAVirtualThread(Threads threads) throws Exception {
        run(threads, Canceller.VIRTUAL_THREAD);
    }

    /**
     * The same crowd in a tree, 10 inner scopes of 100 tasks whose owners wait in join(): the owners help
     * with the interrupts of their own scopes when they get to run, which with busy tasks they may not;
     * the cancel must complete from the cancelling thread alone.
     */
    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancelCompletes_inATreeOfBusyYieldingTasks_fromAPlatformThread(Threads threads) throws Exception {
        var started = new AtomicInteger();
        var finished = new AtomicInteger();
        var innerReasons = new java.util.concurrent.ConcurrentLinkedQueue<CancelReason>();
        try (var root = Scope.open(Joiner.awaitAll(), threads.named("root"))) {
            for (int i = 0; i < 10; i++) {
                root.fork(() -> {
                    try (var inner = Scope.open(Joiner.awaitAll(), threads.cfg())) {
                        for (int j = 0; j < TASKS / 10; j++) {
                            inner.fork(() -> busyUntilInterrupted(started, finished));
                        }
                        try {
                            inner.join(); // CancelledException, or InterruptedException if the owner's interrupt
                        } finally {       // wins the race with the unpark: both are the cancellation
                            innerReasons.add(inner.cancelReason().orElseThrow());
                        }
                    }
                    return null;
                });
            }
            // Not every owner may have run yet: started from this platform thread, they can starve behind
            // the busy tasks (that is the point); the ones that run later find their scope cancelled at once.
            Threads.awaitTrue(() -> started.get() > 0);
            root.cancel(CancelReason.explicit("from a platform thread"));
            assertThatThrownBy(root::join).isInstanceOf(CancelledException.class);
        }
        assertThat(finished.get()).isEqualTo(started.get());
        // every inner scope that was opened (an owner that had not run when the root was cancelled never
        // runs) was cancelled for the root's reason, not for its owner's interrupt
        assertThat(innerReasons).hasSizeBetween(1, 10)
                .allSatisfy(r -> assertThat(r.root()).isInstanceOf(CancelReason.Explicit.class));
    }

    private static void run(Threads threads, Canceller canceller) throws Exception {
        var started = new AtomicInteger();
        var finished = new AtomicInteger();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.named("busy"))) {
            if (canceller == Canceller.VIRTUAL_THREAD) {
                // The canceller is itself a virtual thread in the busy crowd: it is already running (so it
                // needs no wake-up from a platform thread) and cancels once it sees others running.
                var cancellerScope = scope;
                Thread.ofVirtual().name("virtual-canceller").start(() -> {
                    while (started.get() == 0) {
                        Thread.yield();
                    }
                    cancellerScope.cancel(CancelReason.explicit("from a virtual thread"));
                });
            }
            for (int i = 0; i < TASKS; i++) {
                scope.fork(() -> busyUntilInterrupted(started, finished));
            }
            if (canceller == Canceller.PLATFORM_THREAD) {
                Threads.awaitTrue(() -> started.get() > 0);
                scope.cancel(CancelReason.explicit("from a platform thread"));
            }
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
        // Every task either ran and saw its interrupt, or never ran because the scope was cancelled first.
        assertThat(finished.get()).isEqualTo(started.get());
        assertThat(started.get()).isBetween(1, TASKS);
    }
}
