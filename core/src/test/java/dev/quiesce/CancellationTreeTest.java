package dev.quiesce;

import static dev.quiesce.Threads.awaitTrue;
import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CancellationTreeTest {

    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancel_interruptsTasksThreeLevelsDown_evenWhenChildOwnersAreNotInJoin(Threads threads) throws Exception {
        int leaves = 4;
        var leafBlocked = new CountDownLatch(leaves);
        var leafInterrupted = new CountDownLatch(leaves);
        var ownersBusy = new CountDownLatch(2);
        var ownersRelease = new CountDownLatch(1);
        var childReasons = new CopyOnWriteArrayList<CancelReason>();

        try (var root = Scope.open(Joiner.awaitAll(), threads.named("root"))) {
            root.fork(() -> {
                try (var mid = Scope.open(Joiner.awaitAll(), threads.named("mid"))) {
                    mid.fork(() -> {
                        try (var leaf = Scope.open(Joiner.awaitAll(), threads.named("leaf"))) {
                            for (int i = 0; i < leaves; i++) {
                                leaf.fork(() -> {
                                    leafBlocked.countDown();
                                    try {
                                        sleepForever();
                                    } catch (InterruptedException e) {
                                        leafInterrupted.countDown();
                                        throw e;
                                    }
                                    return null;
                                });
                            }
                            // The owner of the innermost scope is blocked elsewhere, not in join(), and
                            // ignores interrupts: only a direct cancel reaches its tasks.
                            ownersBusy.countDown();
                            awaitUninterruptibly(ownersRelease);
                            childReasons.add(leaf.cancelReason().orElseThrow());
                            assertThatThrownBy(leaf::join).isInstanceOf(CancelledException.class);
                        }
                        return null;
                    });
                    ownersBusy.countDown();
                    awaitUninterruptibly(ownersRelease);
                    childReasons.add(mid.cancelReason().orElseThrow());
                    assertThatThrownBy(mid::join).isInstanceOf(CancelledException.class);
                }
                return null;
            });
            assertThat(leafBlocked.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(ownersBusy.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(root.snapshot().flatten()).extracting(ScopeSnapshot::path)
                    .containsExactly("/root", "/root/mid", "/root/mid/leaf");

            root.cancel(CancelReason.explicit("test"));

            assertThat(leafInterrupted.await(10, TimeUnit.SECONDS)).isTrue();
            ownersRelease.countDown();
            assertThatThrownBy(root::join).isInstanceOf(CancelledException.class);
        }
        assertThat(childReasons).hasSize(2).allSatisfy(r -> {
            assertThat(r).isInstanceOf(CancelReason.ParentCancelled.class);
            assertThat(r.root()).isEqualTo(CancelReason.explicit("test"));
        });
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        for (;;) {
            try {
                latch.await();
                return;
            } catch (InterruptedException ignored) {
                // deliberately ignored: this owner does not respond to interrupts
            }
        }
    }

    @Test
    void aVirtualThreadInterruptedInASocketRead_countsAsCancelled_notFailed() throws Exception {
        try (var server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                var scope = Scope.open(Joiner.awaitAll())) {
            var blocked = new CountDownLatch(1);
            Subtask<Object> reader = scope.fork(() -> {
                try (var socket = new java.net.Socket(server.getInetAddress(), server.getLocalPort())) {
                    blocked.countDown();
                    return socket.getInputStream().read(); // the server never writes
                }
            });
            try (var _ = server.accept()) {
                blocked.await();
                Threads.awaitTrue(() -> scope.snapshot().subtasks().stream()
                        .anyMatch(t -> !t.threadState().equals("RUNNABLE")));
                scope.cancel();
                assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
                assertThat(reader.state()).isEqualTo(Subtask.State.CANCELLED);
                assertThat(scope.failures()).isEmpty();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancel_isIdempotent_andTheFirstReasonWins(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            var started = new CountDownLatch(1);
            var seen = new AtomicReference<CancelReason>();
            scope.fork(() -> {
                started.countDown();
                try {
                    sleepForever();
                } catch (InterruptedException e) {
                    seen.set(Scope.current().cancelReason().orElseThrow());
                    throw e;
                }
                return null;
            });
            started.await();
            var first = CancelReason.explicit("first");
            assertThat(scope.cancel(first)).isTrue();
            assertThat(scope.cancel(CancelReason.explicit("second"))).isFalse();
            assertThat(scope.cancel()).isFalse();
            assertThatThrownBy(scope::join).isInstanceOfSatisfying(CancelledException.class,
                    e -> assertThat(e.reason()).isEqualTo(first));
            assertThat(seen.get()).isEqualTo(first);
            assertThat(scope.cancelReason()).contains(first);
        }
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void cancel_fromAnyThread_runsOnCancelCallbacksBeforeInterrupting(Threads threads) throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            var started = new CountDownLatch(1);
            Subtask<Object> task = scope.fork(() -> {
                started.countDown();
                try {
                    sleepForever();
                } catch (InterruptedException e) {
                    events.add("interrupted");
                    throw e;
                }
                return null;
            });
            scope.onCancel(() -> events.add("callback-1"));
            scope.onCancel(() -> {
                throw new IllegalStateException("a failing callback does not stop the others");
            });
            Scope.Registration removed = scope.onCancel(() -> events.add("removed"));
            removed.close();
            started.await();

            Thread canceller = Thread.ofPlatform().start(() -> scope.cancel(CancelReason.explicit("other thread")));
            canceller.join();
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
            assertThat(task.state()).isEqualTo(Subtask.State.CANCELLED);
            assertThat(scope.failures()).isEmpty();

            // a callback registered after the cancellation runs at once
            scope.onCancel(() -> events.add("late"));
        }
        assertThat(events).containsExactly("callback-1", "interrupted", "late");
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void forkAfterCancel_returnsACancelledSubtaskThatNeverRuns(Threads threads) throws Exception {
        var ran = new AtomicBoolean();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            scope.cancel();
            Subtask<Object> late = scope.fork(() -> ran.set(true));
            assertThat(late.state()).isEqualTo(Subtask.State.CANCELLED);
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
        }
        assertThat(ran).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void subtaskCancel_stopsThatSubtaskOnly(Threads threads) throws Exception {
        try (var scope = Scope.open(Joiner.<String>awaitAll(), threads.cfg())) {
            var started = new CountDownLatch(1);
            var release = new CountDownLatch(1);
            Subtask<String> victim = scope.fork(() -> {
                started.countDown();
                sleepForever();
                return "never";
            });
            Subtask<String> sibling = scope.fork(() -> {
                release.await();
                return "sibling";
            });
            started.await();
            assertThat(victim.cancel()).isTrue();
            assertThat(victim.cancel()).isFalse();
            awaitTrue(() -> victim.state() == Subtask.State.CANCELLED);
            assertThat(scope.isCancelled()).isFalse();
            release.countDown();
            scope.join();
            assertThat(sibling.get()).isEqualTo("sibling");
            assertThat(scope.failures()).isEmpty();
        }
    }

    /**
     * A task is interrupted once for a cancellation, however many paths reach it: the cleanup it runs after
     * catching the interrupt of {@code Subtask.cancel()} is not interrupted again by the scope's cancel.
     */
    @ParameterizedTest
    @EnumSource(Threads.class)
    void aCancelledTask_isInterruptedOnce_soItsCleanupIsNotInterruptedByALaterScopeCancel(Threads threads)
            throws Exception {
        var inCleanup = new CountDownLatch(1);
        var finishCleanup = new CountDownLatch(1);
        var cleanupOutcome = new AtomicReference<String>();
        var taskThread = new AtomicReference<Thread>();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.cfg())) {
            Subtask<Object> task = scope.fork(() -> {
                taskThread.set(Thread.currentThread());
                try {
                    sleepForever();
                } catch (InterruptedException e) {
                    inCleanup.countDown();
                    try {
                        finishCleanup.await(); // blocking cleanup after the cancellation
                        cleanupOutcome.set("completed");
                    } catch (InterruptedException again) {
                        cleanupOutcome.set("interrupted again");
                    }
                    throw e;
                }
                return null;
            });
            awaitTrue(() -> taskThread.get() != null);
            Threads.awaitBlocked(taskThread.get());
            assertThat(task.cancel()).isTrue();
            inCleanup.await();
            Threads.awaitBlocked(taskThread.get()); // in finishCleanup.await()
            scope.cancel(CancelReason.explicit("second path")); // would interrupt synchronously, before returning
            finishCleanup.countDown();
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
            assertThat(task.state()).isEqualTo(Subtask.State.CANCELLED);
        }
        assertThat(cleanupOutcome.get()).isEqualTo("completed");
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void requestStop_setsTheSoftFlagDownTheTree_withoutInterrupting(Threads threads) throws Exception {
        var interrupted = new AtomicBoolean();
        var childReady = new CountDownLatch(1);
        var sawStop = new CountDownLatch(2);
        try (var root = Scope.open(Joiner.awaitAll(), threads.named("root"))) {
            root.fork(() -> {
                try (var child = Scope.open(Joiner.awaitAll(), threads.named("child"))) {
                    child.fork(() -> {
                        childReady.countDown();
                        while (!Scope.stopRequested()) { // a worker finishing units of work
                            if (Thread.currentThread().isInterrupted()) {
                                interrupted.set(true);
                            }
                            Thread.onSpinWait();
                        }
                        sawStop.countDown();
                    });
                    child.join();
                }
                return null;
            });
            root.fork(() -> {
                while (!Scope.stopRequested()) {
                    Thread.onSpinWait();
                }
                sawStop.countDown();
            });
            childReady.await();
            root.requestStop();
            assertThat(sawStop.await(10, TimeUnit.SECONDS)).isTrue();
            root.join(); // returns normally: a stop is not a cancellation
            assertThat(root.isCancelled()).isFalse();
            assertThat(root.isStopRequested()).isTrue();
        }
        assertThat(interrupted).isFalse();
        assertThat(Scope.stopRequested()).isFalse(); // outside any scope
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void childOpenedInsideACancelledParent_isCancelledAtOnce(Threads threads) throws Exception {
        var childReason = new AtomicReference<CancelReason>();
        var started = new CountDownLatch(1);
        var parentCancelled = new AtomicBoolean();
        try (var root = Scope.open(Joiner.awaitAll(), threads.named("p"))) {
            root.fork(() -> {
                started.countDown();
                while (!parentCancelled.get()) { // ignores the interrupt on purpose
                    Thread.onSpinWait();
                }
                try (var child = Scope.open(Joiner.awaitAll(), threads.named("c"))) {
                    childReason.set(child.cancelReason().orElse(null));
                }
            });
            started.await();
            root.onCancel(() -> parentCancelled.set(true));
            root.cancel();
            assertThatThrownBy(root::join).isInstanceOf(CancelledException.class);
        }
        assertThat(childReason.get()).isInstanceOf(CancelReason.ParentCancelled.class);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void parentOfAScope_isTheScopeItsOpeningThreadRunsIn(Threads threads) throws Exception {
        var paths = ConcurrentHashMap.<String>newKeySet();
        try (var root = Scope.open(Joiner.awaitAll(), threads.named("svc"))) {
            assertThat(Scope.current()).isSameAs(root);
            try (var nested = Scope.open(Joiner.awaitAll(), threads.named("owner-nested"))) {
                assertThat(nested.parent()).containsSame(root);
                assertThat(Scope.current()).isSameAs(nested);
                nested.join();
            }
            assertThat(Scope.current()).isSameAs(root);
            root.fork(() -> {
                paths.add(Scope.current().path());
                try (var inTask = Scope.open(Joiner.awaitAll(), threads.named("in-task"))) {
                    paths.add(inTask.path());
                    inTask.fork(() -> paths.add(Scope.current().path()));
                    inTask.join();
                }
                paths.add(Scope.current().path());
                return null;
            });
            root.join();
        }
        assertThat(Scope.find()).isEmpty();
        assertThat(paths).isEqualTo(Set.of("/svc", "/svc/in-task"));
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void snapshot_showsTheLiveTreeAsTextAndJson(Threads threads) throws Exception {
        var blocked = new CountDownLatch(2);
        try (var root = Scope.open(Joiner.awaitAll(), threads.named("dump"))) {
            root.fork(() -> {
                try (var child = Scope.open(Joiner.awaitAll(), threads.named("child"))) {
                    child.fork(() -> {
                        blocked.countDown();
                        sleepForever();
                        return null;
                    });
                    blocked.countDown();
                    child.join();
                }
                return null;
            });
            blocked.await();
            // the child's owner counts down before it calls join(); wait until it is in join
            awaitTrue(() -> root.snapshot().children().size() == 1
                    && root.snapshot().children().get(0).subtasks().size() == 1
                    && root.snapshot().children().get(0).state().equals("JOINED"));
            ScopeSnapshot snap = root.snapshot();
            assertThat(snap.state()).isEqualTo("OPEN");
            assertThat(snap.subtasks()).hasSize(1);
            assertThat(Scope.snapshotAll()).extracting(ScopeSnapshot::path).contains("/dump");
            String text = snap.toText();
            assertThat(text).contains("/dump [OPEN]").contains("  /dump/child [JOINED]").contains("UNAVAILABLE");
            String json = snap.toJson();
            assertThat(json).startsWith("{\"path\":\"/dump\"")
                    .contains("\"children\":[{\"path\":\"/dump/child\"")
                    .contains("\"state\":\"JOINED\"");
            if (threads == Threads.VIRTUAL) {
                // default threads are named by their scope path
                assertThat(snap.children().get(0).subtasks().get(0).threadName()).isEqualTo("/dump/child");
            }
            root.cancel();
            assertThatThrownBy(root::join).isInstanceOf(CancelledException.class);
        }
        assertThat(Scope.snapshotAll()).extracting(ScopeSnapshot::path).doesNotContain("/dump");
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void close_waitsForEveryTaskToEnd_soNoneIsLeaked(Threads threads) throws Exception {
        var threadsSeen = new CopyOnWriteArrayList<Thread>();
        var started = new CountDownLatch(10);
        var ended = new java.util.concurrent.atomic.AtomicInteger();
        var scope = Scope.open(Joiner.awaitAll(), threads.cfg());
        for (int i = 0; i < 10; i++) {
            scope.fork(() -> {
                threadsSeen.add(Thread.currentThread());
                started.countDown();
                try {
                    sleepForever();
                } finally {
                    ended.incrementAndGet();
                }
                return null;
            });
        }
        started.await();
        // no join: close() cancels and waits, then says that the owner did not join
        assertThatThrownBy(scope::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("owner did not join");
        assertThat(ended).hasValue(10); // every task's code finished before close() returned
        for (Thread t : threadsSeen) {
            t.join(); // and each thread terminates (bounded by the test timeout)
        }
        assertThat(threadsSeen).extracting(Thread::isVirtual).containsOnly(threads == Threads.VIRTUAL);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void closeWithoutJoin_cancelsWithReasonClosed(Threads threads) throws Exception {
        var started = new CountDownLatch(1);
        var scope = Scope.open(Joiner.awaitAll(), threads.named("unjoined"));
        scope.fork(() -> {
            started.countDown();
            sleepForever();
            return null;
        });
        started.await();
        assertThatThrownBy(scope::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("owner did not join");
        assertThat(scope.cancelReason()).containsInstanceOf(CancelReason.Closed.class);
        assertThat(List.of(scope.cancelReason().orElseThrow().describe())).allMatch(d -> d.contains("/unjoined"));
    }
}
