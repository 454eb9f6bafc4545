package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.ScopeSnapshot;
import dev.quiesce.Subtask;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;

/**
 * Sample 02: a cancellation tree. Cancel the root and every level below it stops; cancel one subtask and
 * only that one stops.
 *
 * <p>A scope opened by a thread that runs inside another scope becomes that scope's child, so the
 * structure of the code becomes a tree of scopes:
 *
 * <pre>
 * /shop                      root, opened by main
 *   /shop/orders             child, opened by a task of /shop
 *     /shop/orders/lines     grandchild, opened by a task of /shop/orders
 *   /shop/payments           child, opened by another task of /shop
 * </pre>
 *
 * <p>{@link Scope#cancel(CancelReason)} on the root, from any thread, stops new forks, interrupts every
 * running subtask thread and cancels every child scope directly, all from the cancelling thread: it does
 * not wait for each level's owner to wake up and pass the interrupt on. The first reason wins, and every
 * level sees it: the root sees the reason it was given; each descendant sees
 * {@link CancelReason.ParentCancelled} that names its parent and, through {@link CancelReason#root()}, the
 * original reason. {@link Scope#snapshot()} dumps the live tree as text or JSON at any time, which is
 * the first thing to look at when a shutdown hangs.
 *
 * <p>{@link Subtask#cancel()} cancels one subtask alone (the JDK's {@code StructuredTaskScope} cannot):
 * its thread is interrupted, its state becomes {@link Subtask.State#CANCELLED}, the siblings and the
 * scope carry on, and a cancelled subtask never counts as a failure.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample02_CancellationTree
 * </pre>
 *
 * <h2>What you should see</h2>
 * The tree before the cancel (four scopes, six workers, {@code [OPEN]}/{@code [JOINED]}, no
 * "cancelled"); then one line per level, sorted by path: {@code /shop sees Explicit: explicit: rolling
 * update}, {@code /shop/orders sees ParentCancelled: parent /shop cancelled (explicit: rolling update)},
 * {@code /shop/orders/lines sees ParentCancelled: parent /shop/orders cancelled (explicit: rolling
 * update)}, {@code /shop/payments sees ...}; {@code 6 of 6 workers stopped}; the tree after the join
 * ({@code /shop [JOINED, cancelled: explicit: rolling update] ..., 0 running}) and
 * {@code open scopes after close: 0}. Then the single cancel: {@code b: CANCELLED}, {@code a: SUCCESS},
 * {@code c: SUCCESS}, {@code scope cancelled: false}, {@code join returned 2 successful subtasks}.
 */
public final class Sample02_CancellationTree {
    private Sample02_CancellationTree() {}

    public static void main(String[] args) throws Exception {
        cancelTheRoot();
        say("");
        cancelOneSubtask();
    }

    /** Cancels the root of a three-level tree and prints what each level saw. */
    static void cancelTheRoot() throws InterruptedException {
        int workers = 6;
        var blocked = new CountDownLatch(workers);
        var stopped = new CountDownLatch(workers);
        Map<String, String> seen = new ConcurrentSkipListMap<>(); // scope path -> reason it saw

        try (var shop = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("shop"))) {
            shop.fork(() -> {
                try (var orders = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("orders"))) {
                    orders.fork(() -> {
                        try (var lines = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("lines"))) {
                            for (int i = 0; i < 2; i++) {
                                lines.fork(() -> worker(blocked, stopped, seen));
                            }
                            lines.join();
                        }
                        return null;
                    });
                    orders.fork(() -> worker(blocked, stopped, seen));
                    orders.join();
                }
                return null;
            });
            shop.fork(() -> {
                try (var payments = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("payments"))) {
                    for (int i = 0; i < 2; i++) {
                        payments.fork(() -> worker(blocked, stopped, seen));
                    }
                    payments.join();
                }
                return null;
            });
            shop.fork(() -> worker(blocked, stopped, seen)); // a worker directly in the root

            blocked.await();
            say("the tree before the cancel:");
            System.out.print(awaitTree(shop, 4, workers).toText().indent(2));

            say("cancelling /shop from main ...");
            shop.cancel(CancelReason.explicit("rolling update"));
            stopped.await();
            try {
                shop.join(); // waits for the interrupted threads, then reports the cancellation
            } catch (CancelledException e) {
                say("join: CancelledException: " + e.getMessage());
            }
            say("what each level saw:");
            seen.forEach((path, reason) -> say("  " + path + " sees " + reason));
            say(workers - stopped.getCount() + " of " + workers + " workers stopped");
            say("the tree after the join:");
            System.out.print(shop.snapshot().toText().indent(2));
        }
        say("open scopes after close: " + Scope.snapshotAll().size());
    }

    /** A worker that waits for work that never comes, and records what its scope says when interrupted. */
    private static Void worker(CountDownLatch blocked, CountDownLatch stopped, Map<String, String> seen)
            throws InterruptedException {
        blocked.countDown();
        try {
            Thread.sleep(Duration.ofDays(1));
        } catch (InterruptedException e) {
            Scope<?, ?> mine = Scope.current();
            CancelReason r = mine.cancelReason().orElseThrow();
            seen.put(mine.path(), r.getClass().getSimpleName() + ": " + r.describe());
            stopped.countDown();
            throw e; // never swallow the interrupt: it is how the cancellation stops this thread
        }
        return null;
    }

    /** Cancels one subtask of three; its siblings and the scope are not affected. */
    static void cancelOneSubtask() throws InterruptedException {
        var go = new CountDownLatch(1);
        var bStarted = new CountDownLatch(1);
        var bStopped = new CountDownLatch(1);
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(), cfg -> cfg.withName("three"))) {
            Subtask<String> a = scope.fork(() -> {
                go.await();
                return "a done";
            });
            Subtask<String> b = scope.fork(() -> {
                bStarted.countDown();
                try {
                    Thread.sleep(Duration.ofDays(1)); // a slow call we decide we no longer need
                } catch (InterruptedException e) {
                    bStopped.countDown();
                    throw e;
                }
                return "b done";
            });
            Subtask<String> c = scope.fork(() -> {
                go.await();
                return "c done";
            });
            bStarted.await();
            say("cancelling subtask b alone: " + b.cancel());
            bStopped.await();
            go.countDown(); // a and c may finish now
            List<Subtask<String>> successful = scope.join();
            say("b: " + b.state());
            say("a: " + a.state() + " (" + a.get() + ")");
            say("c: " + c.state() + " (" + c.get() + ")");
            say("scope cancelled: " + scope.isCancelled());
            say("join returned " + successful.size() + " successful subtasks");
        }
    }

    /** Waits until the snapshot shows every scope joined and every worker asleep, so the printed tree is complete. */
    private static ScopeSnapshot awaitTree(Scope<?, ?> root, int scopes, int workers) throws InterruptedException {
        for (;;) {
            ScopeSnapshot snap = root.snapshot();
            List<ScopeSnapshot> all = snap.flatten();
            // workers are the subtask threads that own no scope (owners wait in join, timed when a deadline is set)
            java.util.Set<String> owners = new java.util.HashSet<>();
            all.forEach(s -> owners.add(s.owner().substring(s.owner().lastIndexOf('#') + 1)));
            long sleeping = all.stream().flatMap(s -> s.subtasks().stream())
                    .filter(t -> !owners.contains(Long.toString(t.threadId())))
                    .filter(t -> t.threadState().equals("TIMED_WAITING")).count();
            // every scope but the root is owned by a task that has reached join(): the tree is settled
            boolean joined = all.stream().skip(1).allMatch(s -> s.state().equals("JOINED"));
            if (all.size() == scopes && sleeping == workers && joined) {
                return snap;
            }
            Thread.sleep(1);
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
