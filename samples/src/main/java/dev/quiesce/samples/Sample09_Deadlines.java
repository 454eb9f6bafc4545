package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sample 09: a time budget propagated down the tree. A child asks how much time it has left, the
 * earliest deadline wins, and expiry shows up as {@link DeadlineExceededException}.
 *
 * <p>A request that must answer within 2 s fans out into calls, which fan out further. Giving each call a
 * fixed timeout of its own does not add up: three sequential calls of "at most 1 s" can take 3 s, long
 * after the caller gave up. In Quiesce a deadline is a property of a scope
 * ({@link dev.quiesce.ScopeConfig#withTimeout}, {@link dev.quiesce.ScopeConfig#withDeadline}), and a
 * scope's <em>effective</em> deadline is the earliest of its own and all its ancestors'. So:
 * <ol>
 *   <li>{@code inheritance()}: a child that asks for 5 s inside a 2 s request gets the request's deadline;
 *       a child that asks for 300 ms keeps its own, earlier one.
 *   <li>{@code budgetAwareTask()}: any task can ask {@code Scope.current().remaining()} and decide what it
 *       can still afford: here the optional "reviews" call is skipped because too little time is left.
 *   <li>{@code expiry()}: when a deadline passes, the scope is cancelled with {@link CancelReason.Deadline},
 *       its tasks are interrupted, and {@code join()} throws {@link DeadlineExceededException} (a
 *       {@link CancelledException}); the caller falls back.
 *   <li>{@code parentDeadlineReachesGrandchild()}: the root's deadline cancels a grandchild two levels
 *       down, which sees {@link CancelReason.ParentCancelled} whose {@link CancelReason#root()} is the
 *       deadline.
 * </ol>
 * The shutdown uses the same mechanism: its budget (the platform budget minus the margin) bounds every
 * phase, and a state hook or a {@link dev.quiesce.Shield} without a budget of its own gets what is left.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample09_Deadlines
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * inventory asked for 5 s inside a 2 s request: its deadline is the request's: true; remaining at most 2 s: true
 * pricing asked for 300 ms: its deadline is its own, earlier than the request's: true
 * after the mandatory call: enough time left for recommendations (1 s): true
 * after recommendations: enough time left for reviews (1 s): false, skipped
 * supplier task interrupted: Deadline: deadline of /supplier passed (...)
 * join threw DeadlineExceededException, reason Deadline; using the cached price instead
 * grandchild interrupted: ParentCancelled, root reason Deadline
 * root join threw DeadlineExceededException: ...
 * </pre>
 */
public final class Sample09_Deadlines {
    private Sample09_Deadlines() {}

    public static void main(String[] args) throws Exception {
        inheritance();
        budgetAwareTask();
        expiry();
        parentDeadlineReachesGrandchild();
    }

    static void inheritance() throws InterruptedException {
        try (var request = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withName("request").withTimeout(Duration.ofSeconds(2)))) {
            request.fork(() -> {
                try (var inventory = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                        cfg -> cfg.withName("inventory").withTimeout(Duration.ofSeconds(5)))) {
                    boolean parents = inventory.deadline().equals(request.deadline());
                    boolean atMost2s = inventory.remaining().compareTo(Duration.ofSeconds(2)) <= 0;
                    say("inventory asked for 5 s inside a 2 s request: its deadline is the request's: " + parents
                            + "; remaining at most 2 s: " + atMost2s);
                }
                try (var pricing = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                        cfg -> cfg.withName("pricing").withTimeout(Duration.ofMillis(300)))) {
                    boolean ownEarlier = pricing.deadline().orElseThrow().isBefore(request.deadline().orElseThrow());
                    say("pricing asked for 300 ms: its deadline is its own, earlier than the request's: "
                            + ownEarlier);
                }
                return null;
            });
            request.join();
        }
    }

    static void budgetAwareTask() throws InterruptedException {
        Duration optionalCallTakes = Duration.ofSeconds(1);
        try (var request = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withName("page").withTimeout(Duration.ofSeconds(2)))) {
            request.fork(() -> {
                Thread.sleep(100); // the mandatory call
                boolean affordable = Scope.current().remaining().compareTo(optionalCallTakes) >= 0;
                say("after the mandatory call: enough time left for recommendations (1 s): " + affordable);
                if (affordable) {
                    Thread.sleep(optionalCallTakes);
                }
                affordable = Scope.current().remaining().compareTo(optionalCallTakes) >= 0;
                say("after recommendations: enough time left for reviews (1 s): " + affordable
                        + (affordable ? "" : ", skipped"));
                if (affordable) {
                    Thread.sleep(optionalCallTakes);
                }
                return null;
            });
            request.join();
        }
    }

    static void expiry() throws InterruptedException {
        try (var supplier = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withName("supplier").withTimeout(Duration.ofMillis(200)))) {
            supplier.fork(() -> {
                try {
                    Thread.sleep(Duration.ofSeconds(10)); // a supplier that does not answer in time
                } catch (InterruptedException e) {
                    CancelReason r = Scope.current().cancelReason().orElseThrow();
                    say("supplier task interrupted: " + r.getClass().getSimpleName() + ": " + r.describe());
                    throw e;
                }
                return null;
            });
            try {
                supplier.join();
            } catch (DeadlineExceededException e) {
                say("join threw " + e.getClass().getSimpleName() + ", reason "
                        + e.reason().getClass().getSimpleName() + "; using the cached price instead");
            }
        }
    }

    static void parentDeadlineReachesGrandchild() throws InterruptedException {
        var grandchildSaw = new AtomicReference<CancelReason>();
        try (var root = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withName("batch").withTimeout(Duration.ofMillis(300)))) {
            root.fork(() -> {
                try (var child = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("step"))) {
                    child.fork(() -> {
                        try {
                            Thread.sleep(Duration.ofSeconds(10));
                        } catch (InterruptedException e) {
                            grandchildSaw.set(Scope.current().cancelReason().orElseThrow());
                            throw e;
                        }
                        return null;
                    });
                    child.join();
                }
                return null;
            });
            try {
                root.join();
            } catch (DeadlineExceededException e) {
                CancelReason r = grandchildSaw.get();
                say("grandchild interrupted: " + r.getClass().getSimpleName() + ", root reason "
                        + r.root().getClass().getSimpleName());
                say("root join threw " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
