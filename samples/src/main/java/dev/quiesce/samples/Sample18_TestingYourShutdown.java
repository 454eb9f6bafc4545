package dev.quiesce.samples;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.test.ShutdownRehearsal;
import dev.quiesce.test.VirtualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Sample 18: testing a service's own shutdown with the test kit (module {@code quiesce-test}): its real
 * {@link Shutdown}, sent a simulated SIGTERM in-process by a {@link ShutdownRehearsal}, in the virtual time of a
 * {@link VirtualClock}, so that its timeline (a 5 s pre-drain delay, a grace period of up to 10 s, hook
 * budgets) takes milliseconds of real time.
 *
 * <p>The service has a database pool, an outbox of orders that its persist hook sends through the pool, and an
 * order consumer that polls its queue every second until the drain asks it to stop. {@code wrong} is a wiring
 * many services have: "we stop accepting work, so close the database", in {@code onStopAccepting}. Nothing
 * fails while it serves, and a manual {@code kill -TERM} in a terminal looks fine (the process exits); the
 * rehearsal shows the outbox hook failing on the closed pool, the orders lost, and exit code 3 instead of 0.
 * {@code right} registers the pool with {@code onCleanup} first, so that it closes last, after every hook
 * that needs it.
 *
 * <p>Here {@code main} runs both rehearsals and prints what a test asserts; the companion JUnit test,
 * {@code Sample18Test} in the samples' tests, asserts it with {@code @QuiesceLeakCheck} on, which also fails
 * the test if the rehearsal leaves a scope open or a thread running.
 *
 * <p>What the clock cannot move: the service's own {@code Thread.sleep} and timed waits are real time. The
 * consumer waits with {@link Shutdown#awaitStopRequested(Duration)}, one of Quiesce's waits, so its one-second
 * polls run in virtual time too.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample18_TestingYourShutdown
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: the db pool closes when the service stops accepting
 * wrong: what the service did: [db pool closed, consumer stopped]
 * wrong: hook PERSIST outbox: FAILED (java.lang.IllegalStateException: pool is closed: 3 orders not sent)
 * wrong: outcome HOOKS_FAILED, exit code 3
 * wrong: timeline: READINESS +0 ms (5000 ms), STOP_ACCEPTING +5000 ms, ... REPORT +5000 ms; virtual total 5000 ms
 *
 * right: the db pool closes in CLEANUP, registered first so that it closes last
 * right: what the service did: [consumer stopped, outbox sent 3 orders, db pool closed]
 * right: outcome CLEAN, exit code 0
 * right: timeline: ...
 * verdict: the rehearsal catches the wrong wiring (exit code 3, the outbox hook FAILED) in a unit test, in
 * virtual time; the right wiring exits 0
 * </pre>
 * and a line per rehearsal with its real duration (milliseconds, not asserted). Exits 0.
 */
public final class Sample18_TestingYourShutdown {
    private Sample18_TestingYourShutdown() {}

    /** The service's shutdown configuration, as its {@code main} builds it. */
    static Shutdown.Builder config() {
        return Shutdown.builder().platformBudget(Duration.ofSeconds(30)).preDrainDelay(Duration.ofSeconds(5))
                .gracePeriod(Duration.ofSeconds(10));
    }

    /** The service: a db pool, an outbox flushed by a persist hook, an order consumer. */
    static final class OrderService {
        final List<String> events = new CopyOnWriteArrayList<>();
        private final boolean closePoolWhenStoppingAccepting;
        private volatile boolean poolOpen = true;

        OrderService(boolean closePoolWhenStoppingAccepting) {
            this.closePoolWhenStoppingAccepting = closePoolWhenStoppingAccepting;
        }

        /** What the service's start-up registers on its shutdown. */
        void wire(Shutdown shutdown) {
            AutoCloseable pool = () -> {
                poolOpen = false;
                events.add("db pool closed");
            };
            if (closePoolWhenStoppingAccepting) {
                shutdown.onStopAccepting("db-pool", pool::close); // the bug: the persist hook still needs it
            } else {
                shutdown.onCleanup("db-pool", pool); // registered first: closed last
            }
            shutdown.onPersist("outbox", budget -> {
                if (!poolOpen) {
                    throw new IllegalStateException("pool is closed: 3 orders not sent");
                }
                events.add("outbox sent 3 orders");
            });
            shutdown.fork("order-consumer", () -> {
                while (!shutdown.awaitStopRequested(Duration.ofSeconds(1))) { // a Quiesce wait: virtual time
                    Thread.onSpinWait(); // polls the order queue (empty here) once a second
                }
                events.add("consumer stopped");
            });
        }
    }

    /** What a rehearsal of the service's shutdown ended with, and what the service did. */
    record Outcome(ShutdownRehearsal.Result result, List<String> events) {}

    /** Rehearses a SIGTERM to the service in virtual time. */
    static Outcome rehearse(boolean closePoolWhenStoppingAccepting) throws InterruptedException {
        var service = new OrderService(closePoolWhenStoppingAccepting);
        var clock = new VirtualClock();
        try (var _ = clock.install();
                var rehearsal = ShutdownRehearsal.start(clock, config(), service::wire)) {
            ShutdownRehearsal.Result result = rehearsal.term(); // the 5 s pre-drain delay passes in virtual time
            return new Outcome(result, List.copyOf(service.events));
        }
    }

    public static void main(String[] args) throws Exception {
        say("wrong: the db pool closes when the service stops accepting");
        Outcome wrong = print("wrong", true);
        say("");
        say("right: the db pool closes in CLEANUP, registered first so that it closes last");
        Outcome right = print("right", false);
        say("verdict: the rehearsal catches the wrong wiring (exit code " + wrong.result().exitCode()
                + ", the outbox hook " + outbox(wrong.result().report()).status() + ") in a unit test, in virtual "
                + "time; the right wiring exits " + right.result().exitCode());
    }

    private static Outcome print(String label, boolean wrong) throws InterruptedException {
        long realStart = System.nanoTime();
        Outcome o = rehearse(wrong);
        long realMs = (System.nanoTime() - realStart) / 1_000_000;
        ShutdownReport report = o.result().report();
        say(label + ": what the service did: " + o.events());
        ShutdownReport.HookOutcome outbox = outbox(report);
        if (outbox.status() != ShutdownReport.HookStatus.OK) {
            say(label + ": hook PERSIST outbox: " + outbox.status() + " (" + outbox.error().orElse("") + ")");
        }
        say(label + ": outcome " + report.outcome() + ", exit code " + o.result().exitCode());
        say(label + ": timeline: " + report.phases().stream().map(p -> p.phase() + " +" + p.startOffset().toMillis()
                + " ms" + (p.duration().isZero() ? "" : " (" + p.duration().toMillis() + " ms)"))
                .collect(Collectors.joining(", ")) + "; virtual total " + report.total().toMillis() + " ms");
        say(label + ": the rehearsal took " + realMs + " ms of real time");
        return o;
    }

    private static ShutdownReport.HookOutcome outbox(ShutdownReport report) {
        return report.hooks().stream().filter(h -> h.name().equals("outbox")).findFirst().orElseThrow();
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
