package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.shutdown.Readiness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sample 11: five ways to signal "shut down" between tasks, in Rust/tokio terms and their Java
 * counterparts, and when to use which.
 *
 * <p>Tokio programs pass the shutdown signal through channels; the same five shapes exist in Java:
 *
 * <table>
 *   <caption>Shutdown signals compared</caption>
 *   <tr><th>tokio</th><th>Java / Quiesce</th><th>shape</th><th>use it for</th></tr>
 *   <tr><td>{@code broadcast}</td>
 *       <td>{@link CountDownLatch}{@code (1)} that every task awaits, or listeners
 *           ({@code Shutdown.PhaseListener}, {@link Readiness#onChange})</td>
 *       <td>one event, every subscriber gets it once; a late subscriber of a latch still sees it, a
 *           listener added late does not</td>
 *       <td>"we are shutting down" to many independent loops</td></tr>
 *   <tr><td>{@code watch}</td>
 *       <td>{@link Readiness} (or a volatile field plus a condition)</td>
 *       <td>a current value; readers see the latest, intermediate values may be skipped</td>
 *       <td>state that others poll or wait for: readiness probes, "draining?"</td></tr>
 *   <tr><td>{@code CancellationToken} (tokio-util)</td>
 *       <td>{@link Scope#cancel(CancelReason)}, {@link Scope#requestStop()},
 *           {@link Scope#stopRequested()}, {@link Scope#cancelReason()}</td>
 *       <td>a tree: cancelling a node cancels its children; a soft stage (poll) and a hard one
 *           (interrupt); carries a reason</td>
 *       <td>stopping work; the default for everything that runs in a scope</td></tr>
 *   <tr><td>{@code JoinSet}</td>
 *       <td>a {@link Scope} with {@link Joiner#awaitAll()}, each {@link Subtask}'s state</td>
 *       <td>waits for every task; one failure does not stop the others</td>
 *       <td>knowing that everything you started has finished, and how</td></tr>
 *   <tr><td>{@code mpsc}</td>
 *       <td>a {@link BlockingQueue} ({@link LinkedTransferQueue}) with a poison pill sent after the last
 *           producer finished</td>
 *       <td>many producers, one consumer, in order; the consumer drains what was sent before the pill</td>
 *       <td>handing work to one owner and stopping it without losing queued items</td></tr>
 * </table>
 *
 * <p>Quiesce's shutdown combines them: readiness is a watch, phase listeners are a broadcast, the root
 * scope is the cancellation token and the join set, and the signal handler talks to the coordinator
 * through an mpsc queue (the handler only offers the signal's name). The most common mistake is to pick a
 * broadcast or a flag where a token is needed: a flag does not interrupt a blocked task and does not reach
 * tasks started by tasks (sample 14). The second most common is closing an mpsc consumer with an
 * interrupt or a flag instead of a pill, which drops what is still queued.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample11_ChannelsCompared
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * broadcast: 3 of 3 subscribers woke up; a late subscriber also sees it: true
 * watch: a slow reader sees only the latest value: DRAINING; await(DRAINING) returns at once: true
 * token: the worker saw the soft stop and returned; 2 levels cancelled with reason: explicit: shutdown
 * join set: a=SUCCESS b=FAILED c=SUCCESS; the failure did not cancel its siblings
 * mpsc: consumer processed 9 of 9 messages from 3 producers, then the poison pill; nothing lost
 * </pre>
 */
public final class Sample11_ChannelsCompared {
    private Sample11_ChannelsCompared() {}

    public static void main(String[] args) throws Exception {
        broadcast();
        watch();
        cancellationToken();
        joinSet();
        mpsc();
    }

    /** broadcast: one event, every subscriber. */
    static void broadcast() throws InterruptedException {
        var shutdown = new CountDownLatch(1);
        var woke = new AtomicInteger();
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("broadcast"))) {
            for (int i = 0; i < 3; i++) {
                scope.fork(() -> {
                    shutdown.await(); // each subscriber waits for the one event
                    woke.incrementAndGet();
                    return null;
                });
            }
            shutdown.countDown(); // send
            scope.join();
        }
        boolean late = shutdown.await(0, TimeUnit.MILLISECONDS); // the latch stays open
        say("broadcast: " + woke.get() + " of 3 subscribers woke up; a late subscriber also sees it: " + late);
    }

    /** watch: the latest value, readable and awaitable at any time. */
    static void watch() throws InterruptedException {
        var readiness = new Readiness();
        readiness.advanceTo(Readiness.State.SERVING);
        readiness.advanceTo(Readiness.State.DRAINING); // a reader that looks only now never saw SERVING
        boolean immediate = readiness.await(Readiness.State.DRAINING, Duration.ZERO);
        say("watch: a slow reader sees only the latest value: " + readiness.get()
                + "; await(DRAINING) returns at once: " + immediate);
    }

    /** cancellation token: a tree, a soft stage and a hard one, with a reason. */
    static void cancellationToken() throws InterruptedException {
        var returned = new CountDownLatch(1);
        var levels = new AtomicInteger();
        var blocked = new CountDownLatch(1);
        try (var service = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("token"))) {
            service.fork(() -> { // soft: polls the token between units of work
                while (!Scope.stopRequested()) {
                    Thread.sleep(5);
                }
                returned.countDown();
                return null;
            });
            service.fork(() -> { // hard: a child scope whose task blocks; only the interrupt reaches it
                try (var child = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("child"))) {
                    child.fork(() -> {
                        blocked.countDown();
                        try {
                            Thread.sleep(Duration.ofDays(1));
                        } catch (InterruptedException e) {
                            if (Scope.current().cancelReason().isPresent()) {
                                levels.incrementAndGet();
                            }
                            throw e;
                        }
                        return null;
                    });
                    child.join();
                }
                return null;
            });
            blocked.await();
            service.requestStop(); // stage 1
            returned.await();
            service.cancel(CancelReason.explicit("shutdown")); // stage 2
            try {
                service.join();
            } catch (CancelledException e) {
                levels.incrementAndGet();
                say("token: the worker saw the soft stop and returned; " + levels.get()
                        + " levels cancelled with reason: " + e.reason().describe());
            }
        }
    }

    /** join set: wait for every task; read each one's outcome. */
    static void joinSet() throws InterruptedException {
        try (var set = Scope.open(Joiner.<String>awaitAll(), cfg -> cfg.withName("joinset"))) {
            Subtask<String> a = set.fork(() -> "a");
            Subtask<String> b = set.fork(() -> {
                throw new IllegalStateException("b failed");
            });
            Subtask<String> c = set.fork(() -> {
                Thread.sleep(50); // still completes after its sibling failed
                return "c";
            });
            set.join();
            say("join set: a=" + a.state() + " b=" + b.state() + " c=" + c.state()
                    + "; the failure did not cancel its siblings");
        }
    }

    /** A message on the mpsc channel. */
    private record Message(String body) {}

    /** The poison pill: compared by identity, so no real message can be mistaken for it. */
    private static final Message POISON_PILL = new Message("<no more messages>");

    /** mpsc: many producers, one consumer, stopped by a poison pill once every producer is done. */
    static void mpsc() throws InterruptedException {
        BlockingQueue<Message> channel = new LinkedTransferQueue<>();
        List<String> processed = new ArrayList<>(); // touched by the consumer only; read after its join
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("mpsc"))) {
            Subtask<Object> consumer = scope.fork(() -> {
                for (;;) {
                    Message m = channel.take();
                    if (m == POISON_PILL) {
                        return null;
                    }
                    processed.add(m.body());
                }
            });
            try (var producers = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("producers"))) {
                for (int p = 1; p <= 3; p++) {
                    int id = p;
                    producers.fork(() -> {
                        for (int i = 1; i <= 3; i++) {
                            channel.put(new Message("p" + id + "-m" + i));
                        }
                        return null;
                    });
                }
                producers.join(); // every sender is done ("all senders dropped")
            }
            channel.put(POISON_PILL); // the channel is closed: the consumer drains what is queued, then stops
            scope.join();
            say("mpsc: consumer processed " + processed.size() + " of 9 messages from 3 producers, then the "
                    + "poison pill; nothing lost (consumer " + consumer.state() + ")");
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
