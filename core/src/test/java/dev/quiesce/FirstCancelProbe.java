package dev.quiesce;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link FirstCancelTest} with {@code -Xlog:class+load}: opens a plain scope, forks
 * a task that blocks, then cancels and joins between two marker lines, so that the test can count what
 * the first cancellation of the JVM loads.
 */
public final class FirstCancelProbe {
    static final String CANCEL = "QUIESCE-PROBE cancel";
    static final String JOINED = "QUIESCE-PROBE joined";

    private FirstCancelProbe() {}

    public static void main(String[] args) throws Exception {
        // an application's first cancel comes after it has used scopes: one scope runs to its end first
        try (var warm = Scope.open()) {
            warm.fork(() -> "ordinary work");
            warm.join();
        }
        var started = new CountDownLatch(1);
        Thread[] task = new Thread[1];
        try (var scope = Scope.open(Joiner.awaitAll())) {
            scope.fork(() -> {
                task[0] = Thread.currentThread();
                started.countDown();
                Thread.sleep(Duration.ofDays(1));
                return null;
            });
            started.await();
            Threads.awaitBlocked(task[0]);
            System.out.println(CANCEL);
            System.out.flush();
            scope.cancel();
            try {
                scope.join();
            } catch (CancelledException expected) {
                // the scope was cancelled: what join() reports
            }
            System.out.println(JOINED);
            System.out.flush();
        }
    }
}
