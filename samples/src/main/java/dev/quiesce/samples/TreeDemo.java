package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Shield;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tree demo: a small service tree is started, shown, and cancelled from the root, and every level
 * stops.
 *
 * <pre>
 * /demo                      root scope, owned by main
 *   /demo/orders             child scope, opened by a task of /demo
 *     3 workers              block in sleep, see the interrupt
 *   /demo/payments           child scope, with a deadline of its own
 *     2 workers              each saves its state in a Shield region when cancelled
 * </pre>
 *
 * <p>How to run: {@code ./demo.sh tree} (or {@code java -jar samples/target/quiesce-demo.jar tree}).
 *
 * <p>What you should see: the live tree as text, the cancellation reaching every worker with the
 * reason "parent /demo cancelled", the payment workers finishing their shielded save after the
 * cancel, and a summary line {@code demo: 5 of 5 workers stopped, 2 saved their state}.
 */
public final class TreeDemo {
    private TreeDemo() {}

    public static void main(String[] args) throws Exception {
        int workers = 5;
        var running = new CountDownLatch(workers);
        var stopped = new AtomicInteger();
        var saved = new AtomicInteger();

        try (var root = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("demo"))) {
            root.fork(() -> {
                try (var orders = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("orders"))) {
                    for (int i = 1; i <= 3; i++) {
                        int id = i;
                        orders.fork(() -> {
                            running.countDown();
                            try {
                                Thread.sleep(Duration.ofDays(1)); // waiting for work that never comes
                            } catch (InterruptedException e) {
                                stopped.incrementAndGet();
                                say("orders worker " + id + " interrupted: "
                                        + Scope.current().cancelReason().map(CancelReason::describe).orElse("?"));
                                throw e;
                            }
                            return null;
                        });
                    }
                    orders.join();
                }
                return null;
            });
            root.fork(() -> {
                try (var payments = Scope.open(Joiner.awaitAll(),
                        cfg -> cfg.withName("payments").withTimeout(Duration.ofMinutes(1)))) {
                    for (int i = 1; i <= 2; i++) {
                        int id = i;
                        payments.fork(() -> {
                            running.countDown();
                            try {
                                Thread.sleep(Duration.ofDays(1));
                            } catch (InterruptedException e) {
                                stopped.incrementAndGet();
                                // cleanup that must not be cut short by the cancellation
                                Shield.run(Duration.ofSeconds(2), () -> {
                                    Thread.sleep(50); // "write the pending payment to disk"
                                    saved.incrementAndGet();
                                    say("payments worker " + id + " saved its state (shielded)");
                                });
                                throw e;
                            }
                            return null;
                        });
                    }
                    payments.join();
                }
                return null;
            });

            running.await();
            say("the live tree:");
            System.out.print(awaitTree(root).toText().indent(2));

            say("cancelling /demo ...");
            root.cancel(CancelReason.explicit("demo cancels the root"));
            try {
                root.join();
            } catch (CancelledException e) {
                say("join: " + e.getMessage());
            }
        }
        say("open scopes after close: " + Scope.snapshotAll().size());
        say("demo: " + stopped.get() + " of " + workers + " workers stopped, " + saved.get() + " saved their state");
    }

    /**
     * Waits until both child scopes show all their workers and their owners are in {@code join()}, so the
     * printed tree is complete (a worker can be running before its scope's owner has reached join).
     */
    private static dev.quiesce.ScopeSnapshot awaitTree(Scope<?, ?> root) throws InterruptedException {
        for (;;) {
            var snap = root.snapshot();
            int leaves = snap.children().stream().mapToInt(c -> c.subtasks().size()).sum();
            boolean joined = snap.children().stream().allMatch(c -> c.state().equals("JOINED"));
            if (snap.children().size() == 2 && leaves == 5 && joined) {
                return snap;
            }
            Thread.sleep(1);
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
