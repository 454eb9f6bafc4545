package dev.quiesce.test;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.InFlightTracker;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Test classes that each leak one thing (or nothing), run by {@link LeakCheckTest} through the JUnit launcher to
 * see {@link QuiesceLeakCheck} fail them. Not run by the build on their own (no class name ends in "Test").
 * Whatever they leak is held by {@link #release}, which {@link LeakCheckTest} opens once it has checked.
 */
final class LeakySamples {
    private LeakySamples() {}

    /** Opened after each check: every leaked thread and scope owner then ends. */
    static volatile CountDownLatch release = new CountDownLatch(1);
    static volatile InFlightTracker.Ticket leakedTicket;

    private static void awaitRelease() {
        for (;;) {
            try {
                release.await();
                return;
            } catch (InterruptedException ignored) {
                // ignores cancellation: it stays until released
            }
        }
    }

    @QuiesceLeakCheck(settleMillis = 200)
    static class LeavesAScopeOpen {
        @Test
        void test() throws Exception {
            var opened = new CountDownLatch(1);
            // the owner opens the scope and keeps it open; it is a platform thread, so not itself a leak
            Thread.ofPlatform().name("scope-owner").daemon(true).start(() -> {
                var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("forgotten"));
                opened.countDown();
                awaitRelease();
                scope.close();
            });
            opened.await();
        }
    }

    @QuiesceLeakCheck(settleMillis = 200)
    static class LeavesASubtaskRunning {
        @Test
        void test() throws Exception {
            var started = new CountDownLatch(1);
            try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("impatient")
                    .withCloseTimeout(Duration.ofMillis(1)))) {
                scope.fork(() -> {
                    started.countDown();
                    awaitRelease(); // ignores the interrupt: the scope abandons it, a straggler
                    return null;
                });
                started.await();
                scope.cancel(dev.quiesce.CancelReason.explicit("done with it"));
                try {
                    scope.join(); // waits its close timeout for the interrupted fork, then abandons it
                } catch (dev.quiesce.CancelledException expected) {
                    // cancelled, as asked
                }
            }
        }
    }

    @QuiesceLeakCheck(settleMillis = 200)
    static class LeavesAVirtualThreadRunning {
        @Test
        void test() {
            Thread.ofVirtual().name("fire-and-forget").start(LeakySamples::awaitRelease);
        }
    }

    @QuiesceLeakCheck(settleMillis = 200)
    static class LeavesATicketOpen {
        @Test
        void test() {
            var requests = new InFlightTracker();
            try (var _ = requests.enter()) {
                leakedTicket = requests.enter(); // entered twice, closed once
            }
        }
    }

    /** The same test, with its thread named as intended. */
    @QuiesceLeakCheck(allowThreads = "fire-and-")
    static class LeavesOnlyAnIntendedThread extends LeavesAVirtualThreadRunning {}

    @QuiesceLeakCheck(settleMillis = 200)
    static class CleansUpAfterItself {
        @Test
        void test() throws Exception {
            try (var scope = Scope.open(Joiner.awaitAll())) {
                scope.fork(() -> 42);
                scope.join();
            }
            Thread.ofVirtual().start(() -> { }).join();
            var requests = new InFlightTracker();
            requests.enter().close();
            requests.enter().forget();
            var ending = new CountDownLatch(1);
            Thread.ofVirtual().name("just-ending").start(() -> { // still running as the test returns: not a leak
                try {
                    ending.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            ending.countDown();
        }
    }
}
