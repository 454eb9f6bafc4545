package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sample 10: Quiesce and the JDK's own {@link StructuredTaskScope} nested in each other, each cancelled
 * with the other.
 *
 * <p><b>This class uses a preview API of JDK 25</b> (JEP 505, {@code StructuredTaskScope}): it is
 * compiled with {@code --enable-preview --release 25} and runs only on JDK 25 with
 * {@code java --enable-preview}. javac marks only the classes that use preview API, so every other class
 * in the samples jar, and Quiesce itself, runs without the flag. Quiesce does not build on the JDK's
 * scope (its API changed in every release and it cannot be cancelled from outside or closed with a
 * bound; see docs/adr/0001-own-scope-engine.md), but code that already uses it keeps working inside a
 * Quiesce tree, because both cancel the same way: by interrupting threads.
 *
 * <ol>
 *   <li>{@code jdkInsideQuiesce()}: a Quiesce task opens a JDK scope with three subtasks. Cancelling the
 *       Quiesce scope interrupts the task, which owns the JDK scope and is waiting in its {@code join()};
 *       {@code join()} throws {@link InterruptedException}, and the JDK scope's {@code close()} interrupts
 *       its three subtasks and waits for them. All three stop.
 *   <li>{@code quiesceInsideJdk()}: a JDK subtask opens a Quiesce scope with three leaves; a sibling JDK
 *       subtask fails, so the JDK scope (policy: all successful or throw) cancels and interrupts its
 *       subtasks. The Quiesce scope's owner is interrupted in {@code join()}, so the Quiesce scope is
 *       cancelled with {@link CancelReason.OwnerInterrupted} and its leaves stop.
 * </ol>
 * One difference to keep in mind: the JDK scope's {@code close()} waits without a bound for subtasks that
 * ignore interrupts; a Quiesce scope reports them as stragglers at its close timeout (sample 14).
 *
 * <h2>How to run</h2>
 * <pre>
 * java --enable-preview -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample10_JdkStructuredTaskScopeInterop
 * </pre>
 * Without {@code --enable-preview} the JVM refuses to load this class ({@code UnsupportedClassVersionError:
 * Preview features are not enabled}).
 *
 * <h2>What you should see</h2>
 * <pre>
 * jdk inside quiesce: 3 JDK subtasks running; cancelling the Quiesce scope /orders
 * jdk inside quiesce: the JDK join() threw InterruptedException
 * jdk inside quiesce: 3 of 3 JDK subtasks interrupted; Quiesce join threw CancelledException (explicit: rolling update)
 * quiesce inside jdk: 3 Quiesce leaves running; a sibling JDK subtask fails
 * quiesce inside jdk: the JDK join() threw StructuredTaskScope.FailedException caused by IllegalStateException: payment service down
 * quiesce inside jdk: 3 of 3 Quiesce leaves interrupted; the Quiesce scope was cancelled with OwnerInterrupted
 * </pre>
 */
public final class Sample10_JdkStructuredTaskScopeInterop {
    private Sample10_JdkStructuredTaskScopeInterop() {}

    public static void main(String[] args) throws Exception {
        jdkInsideQuiesce();
        quiesceInsideJdk();
    }

    static void jdkInsideQuiesce() throws InterruptedException {
        int n = 3;
        var running = new CountDownLatch(n);
        var interrupted = new CountDownLatch(n);
        var jdkJoin = new AtomicReference<Throwable>();
        try (var orders = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("orders"))) {
            orders.fork(() -> {
                try (var jdk = StructuredTaskScope.open()) {
                    for (int i = 0; i < n; i++) {
                        jdk.fork(() -> blockUntilInterrupted(running, interrupted));
                    }
                    jdk.join(); // interrupted by the Quiesce cancel
                } catch (InterruptedException e) {
                    jdkJoin.set(e);
                    throw e;
                }
                return null;
            });
            running.await();
            say("jdk inside quiesce: " + n + " JDK subtasks running; cancelling the Quiesce scope " + orders.path());
            orders.cancel(CancelReason.explicit("rolling update"));
            try {
                orders.join();
            } catch (CancelledException e) {
                interrupted.await();
                say("jdk inside quiesce: the JDK join() threw " + jdkJoin.get().getClass().getSimpleName());
                say("jdk inside quiesce: " + (n - interrupted.getCount()) + " of " + n
                        + " JDK subtasks interrupted; Quiesce join threw " + e.getClass().getSimpleName() + " ("
                        + e.reason().describe() + ")");
            }
        }
    }

    static void quiesceInsideJdk() throws InterruptedException {
        int n = 3;
        var running = new CountDownLatch(n);
        var interrupted = new CountDownLatch(n);
        var quiesceReason = new AtomicReference<CancelReason>();
        try (var jdk = StructuredTaskScope.open(StructuredTaskScope.Joiner.awaitAllSuccessfulOrThrow())) {
            jdk.fork(() -> {
                try (var inner = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("in-jdk"))) {
                    for (int i = 0; i < n; i++) {
                        inner.fork(() -> blockUntilInterrupted(running, interrupted));
                    }
                    try {
                        inner.join(); // interrupted when the JDK scope cancels
                    } finally {
                        quiesceReason.set(inner.cancelReason().orElse(null));
                    }
                }
                return null;
            });
            jdk.fork(() -> {
                running.await();
                say("quiesce inside jdk: " + n + " Quiesce leaves running; a sibling JDK subtask fails");
                throw new IllegalStateException("payment service down");
            });
            try {
                jdk.join();
            } catch (StructuredTaskScope.FailedException e) {
                say("quiesce inside jdk: the JDK join() threw StructuredTaskScope.FailedException caused by "
                        + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
            }
        }
        // the JDK scope's close() has waited for its subtasks, and so for the Quiesce scope's close()
        say("quiesce inside jdk: " + (n - interrupted.getCount()) + " of " + n
                + " Quiesce leaves interrupted; the Quiesce scope was cancelled with "
                + (quiesceReason.get() == null ? "nothing" : quiesceReason.get().getClass().getSimpleName()));
    }

    private static Void blockUntilInterrupted(CountDownLatch running, CountDownLatch interrupted)
            throws InterruptedException {
        running.countDown();
        try {
            Thread.sleep(Duration.ofDays(1));
        } catch (InterruptedException e) {
            interrupted.countDown();
            throw e;
        }
        return null;
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
