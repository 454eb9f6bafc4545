package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sample 07: counting requests and jobs in flight, and draining them to zero against a deadline.
 *
 * <p>To finish in-flight work, a shutdown must know how much there is. An {@link InFlightTracker} counts
 * it exactly: every unit of work takes a ticket with {@link InFlightTracker#enter()} and closes it when
 * it ends, and {@link InFlightTracker#awaitIdle(Duration)} waits until the count is zero or the deadline
 * passes, whichever comes first. The hot path is one atomic increment and one decrement. The
 * {@link Shutdown}'s DRAIN phase waits on {@link Shutdown#inFlight()} in exactly this way, bounded by the
 * grace period.
 *
 * <ol>
 *   <li>{@code drainsBeforeTheDeadline()}: five requests of 100 to 300 ms are in flight; the service stops
 *       accepting and waits up to 2 s; the count reaches zero first and every request completed.
 *   <li>{@code deadlinePassesFirst()}: one of the requests takes 10 s; {@code awaitIdle} returns
 *       {@code false} at its 500 ms deadline with that one still counted. What happens next is the
 *       caller's decision, as it is the shutdown's CANCEL phase: cancel the scope the requests run in.
 *       The slow request is interrupted, its ticket is closed by its {@code try}-with-resources, and the
 *       count reaches zero.
 *   <li>The pitfall, as a wrong/right pair: a ticket closed by hand on the success path only.
 *       {@code wrong()}: one request throws, its ticket is never closed, and the count stays at 1 forever:
 *       {@code awaitIdle} waits out its whole deadline although nothing is running (a real shutdown
 *       would wait its whole grace period, every time). {@code right()}: the ticket in
 *       {@code try}-with-resources is closed on every path.
 * </ol>
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample07_InFlightCounting
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * drain: 5 in flight, stop accepting, awaitIdle(2 s) ...
 * drain: idle before the deadline: true; in flight 0, completed 5
 * deadline: 3 in flight, awaitIdle(500 ms) ...
 * deadline: idle before the deadline: false; still in flight: 1 (the 10 s request)
 * deadline: cancelling the requests' scope
 * deadline: after cancel: in flight 0, completed 2, cancelled 1
 * wrong: nothing is running, yet in flight = 1; idle within 300 ms: false
 * right: nothing is running, in flight = 0; idle within 300 ms: true
 * verdict: wrong leaks a ticket on the failure path and every drain waits out its deadline; right closes it on every path
 * </pre>
 */
public final class Sample07_InFlightCounting {
    private Sample07_InFlightCounting() {}

    public static void main(String[] args) throws Exception {
        drainsBeforeTheDeadline();
        deadlinePassesFirst();
        boolean wrongIdle = wrong();
        boolean rightIdle = right();
        say("verdict: " + (!wrongIdle && rightIdle
                ? "wrong leaks a ticket on the failure path and every drain waits out its deadline; "
                        + "right closes it on every path"
                : "unexpected: wrong idle=" + wrongIdle + ", right idle=" + rightIdle));
    }

    static void drainsBeforeTheDeadline() throws InterruptedException {
        var tracker = new InFlightTracker();
        var entered = new CountDownLatch(5);
        try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("drain"))) {
            for (long ms : List.of(100L, 150L, 200L, 250L, 300L)) {
                requests.fork(() -> {
                    try (var _ = tracker.enter()) {
                        entered.countDown();
                        Thread.sleep(ms); // the request's work
                    }
                    return null;
                });
            }
            entered.await();
            say("drain: " + tracker.inFlight() + " in flight, stop accepting, awaitIdle(2 s) ...");
            boolean idle = tracker.awaitIdle(Duration.ofSeconds(2));
            say("drain: idle before the deadline: " + idle + "; in flight " + tracker.inFlight() + ", completed "
                    + tracker.completed());
            requests.join();
        }
    }

    static void deadlinePassesFirst() throws InterruptedException {
        var tracker = new InFlightTracker();
        var entered = new CountDownLatch(3);
        var cancelled = new AtomicInteger();
        try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("deadline"))) {
            for (long ms : List.of(100L, 200L, 10_000L)) {
                requests.fork(() -> {
                    try (var _ = tracker.enter()) {
                        entered.countDown();
                        Thread.sleep(ms);
                    } catch (InterruptedException e) {
                        cancelled.incrementAndGet(); // the ticket is already closed here
                        throw e;
                    }
                    return null;
                });
            }
            entered.await();
            say("deadline: " + tracker.inFlight() + " in flight, awaitIdle(500 ms) ...");
            boolean idle = tracker.awaitIdle(Duration.ofMillis(500));
            say("deadline: idle before the deadline: " + idle + "; still in flight: " + tracker.inFlight()
                    + " (the 10 s request)");
            say("deadline: cancelling the requests' scope");
            requests.cancel(CancelReason.explicit("grace period over"));
            try {
                requests.join();
            } catch (CancelledException expected) {
                // the scope was cancelled: join says so
            }
            say("deadline: after cancel: in flight " + tracker.inFlight() + ", completed "
                    + (tracker.completed() - cancelled.get()) + ", cancelled " + cancelled.get());
        }
    }

    /** Closes the ticket by hand after the work: a request that throws never closes it. */
    static boolean wrong() throws InterruptedException {
        var tracker = new InFlightTracker();
        try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("wrong"))) {
            for (int i = 0; i < 3; i++) {
                boolean fails = i == 1;
                requests.fork(() -> {
                    var ticket = tracker.enter();
                    handle(fails);
                    ticket.close(); // skipped when handle throws
                    return null;
                });
            }
            requests.join(); // awaitAll: the failure is recorded, the others complete
        }
        boolean idle = tracker.awaitIdle(Duration.ofMillis(300));
        say("wrong: nothing is running, yet in flight = " + tracker.inFlight() + "; idle within 300 ms: " + idle);
        return idle;
    }

    /** The ticket in try-with-resources: closed on every path. */
    static boolean right() throws InterruptedException {
        var tracker = new InFlightTracker();
        try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("right"))) {
            for (int i = 0; i < 3; i++) {
                boolean fails = i == 1;
                requests.fork(() -> {
                    try (var _ = tracker.enter()) {
                        handle(fails);
                    }
                    return null;
                });
            }
            requests.join();
        }
        boolean idle = tracker.awaitIdle(Duration.ofMillis(300));
        say("right: nothing is running, in flight = " + tracker.inFlight() + "; idle within 300 ms: " + idle);
        return idle;
    }

    private static void handle(boolean fails) throws InterruptedException {
        Thread.sleep(20);
        if (fails) {
            throw new IllegalStateException("downstream returned 500");
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
