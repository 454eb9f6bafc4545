package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fan-out of a tree's cancellation (DESIGN.md, scope engine point 11): owners that run claim runs of their
 * subtree's subtasks from the cursors the canceller takes them from, and the canceller alone interrupts every
 * subtask when no owner runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TreeCancellationTest {

    private static final int LEAVES = 3 * LiveSubtasks.MAX_CHUNK; // several chunks, several runs per chunk

    /** A leaf that waits for the end of the test, counting its interrupts, so it stays in its slot. */
    private static void leaf(CountDownLatch started, CountDownLatch release, CountDownLatch interrupted,
            AtomicInteger interrupts) {
        started.countDown();
        while (release.getCount() > 0) {
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupts.incrementAndGet();
                interrupted.countDown();
            }
        }
    }

    /** How a test cancels the tree {@code root > a > b} (all three owned by the test thread). */
    private interface Cancellation {
        void cancel(Scope<Object, Void> root, Scope<Object, Void> a, List<Subtask<?>> leaves) throws Exception;
    }

    /**
     * Opens {@code root > a > b} on this thread with {@link #LEAVES} leaves in each of a and b, waits until every
     * leaf runs, cancels the tree as
     * {@code how} says, waits until every leaf has seen an interrupt, releases them and joins and closes the tree
     * (each join throwing {@link CancelledException}); returns the interrupts the leaves saw.
     */
    private static int cancelTree(Cancellation how) throws Exception {
        var started = new CountDownLatch(2 * LEAVES);
        var release = new CountDownLatch(1);
        var interrupted = new CountDownLatch(2 * LEAVES);
        var interrupts = new AtomicInteger();
        List<Subtask<?>> leaves = new ArrayList<>();
        try (var root = Scope.open(Joiner.awaitAll(), c -> c.withName("root"))) {
            try (var a = Scope.open(Joiner.awaitAll(), c -> c.withName("a"))) {
                try (var b = Scope.open(Joiner.awaitAll(), c -> c.withName("b"))) { // a child of a, on this thread
                    for (int i = 0; i < LEAVES; i++) {
                        leaves.add(a.fork(() -> leaf(started, release, interrupted, interrupts)));
                        leaves.add(b.fork(() -> leaf(started, release, interrupted, interrupts)));
                    }
                    started.await(); // a subtask whose scope is cancelled before its thread runs never runs
                    how.cancel(root, a, leaves);
                    interrupted.await();
                    release.countDown();
                    assertThatThrownBy(b::join).isInstanceOf(CancelledException.class);
                }
                assertThatThrownBy(a::join).isInstanceOf(CancelledException.class);
            }
            assertThatThrownBy(root::join).isInstanceOf(CancelledException.class);
        }
        assertThat(leaves).allSatisfy(s -> assertThat(s.state()).isEqualTo(Subtask.State.SUCCESS));
        return interrupts.get();
    }

    /**
     * The inner scopes' owner is busy elsewhere (here: the test thread, waiting for the canceller), so no owner
     * helps: when {@code cancel()} returns, the canceller has interrupted every leaf of the tree by itself.
     */
    @Test
    void aTreeWhoseOwnersNeverRun_hasEveryLeafInterruptedWhenCancelReturns() throws Exception {
        int interrupts = cancelTree((root, a, leaves) -> {
            var canceller = Thread.ofPlatform().start(() -> {
                root.cancel(CancelReason.explicit("test"));
                for (Subtask<?> s : leaves) { // already requested, by the canceller: no second interrupt
                    assertThat(((SubtaskImpl<?>) s).interruptForCancel(Clocks.nanoTime())).isFalse();
                }
            });
            canceller.join();
        });
        assertThat(interrupts).isEqualTo(2 * LEAVES);
    }

    /**
     * An owner that runs between the marking of the tree and the canceller's sweep takes its subtree's work: it
     * interrupts every leaf under it, from the front of each chunk, and the canceller's sweep finds nothing left.
     */
    @Test
    void aTreeWhoseOwnerRunsFirst_hasTheOwnerClaimItsSubtree_andTheCancellerFindsNothingLeft() throws Exception {
        int interrupts = cancelTree((root, a, leaves) -> {
            var r = (ScopeImpl<?, ?>) root;
            assertThat(r.markCancelled(CancelReason.explicit("test"))).isTrue();
            List<ScopeImpl<?, ?>> cancelled = TreeCancellation.markSubtree(r);
            assertThat(cancelled).hasSize(3);

            assertThat(TreeCancellation.help((ScopeImpl<?, ?>) a)).as("the owner of a, helping").isEqualTo(2 * LEAVES);
            assertThat(TreeCancellation.sweep(cancelled)).as("the canceller's sweep").isZero();
        });
        assertThat(interrupts).isEqualTo(2 * LEAVES);
    }
}
