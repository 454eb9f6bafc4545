package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * One contract test's run, the plumbing every suite of the kit shares: a fresh shutdown (no signal handlers, exit
 * policy {@code RETURN}), the server the factory starts, the kit's {@link ProbeIngress} registered after the
 * adapter's, the client threads and connections, and their end. Not thread-safe: one test's thread uses it.
 */
final class KitRun {
    /** A grace period no test waits out: a drain held for it fails by the test's timeout. */
    static final Duration LONG = Duration.ofMinutes(10);
    /** How long a test waits for what the shutdown's end must have done. */
    static final Duration BOUND = Duration.ofSeconds(30);

    Shutdown shutdown;
    ServerUnderTest server;
    Handlers handlers;
    ProbeIngress probe;
    /** Closed at the end of the test. */
    final List<AutoCloseable> connections = new CopyOnWriteArrayList<>();
    final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();

    /** Starts the shutdown as {@code config} says, the server through {@code factory}, the probe; marks it ready. */
    void start(IngressFactory factory, UnaryOperator<Shutdown.Builder> config) throws Exception {
        Shutdown.Builder b = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(30)).cancelGrace(Duration.ofSeconds(2));
        shutdown = config.apply(b).start();
        handlers = new Handlers();
        server = factory.start(shutdown, handlers);
        if (server == null) {
            fail("the IngressFactory returned null: return the started server, e.g. ServerUnderTest.http1(ingress,"
                    + " address)");
        }
        probe = new ProbeIngress();
        shutdown.ingress(probe); // after the adapter's: see ProbeIngress
        shutdown.markReady();
    }

    /** Ends what the test left: its shutdown (cut short), the handlers, the client connections. */
    void end() throws InterruptedException {
        try {
            if (shutdown != null) {
                shutdown.initiate("tck: the test ended");
                shutdown.escalate();
                if (handlers != null) {
                    handlers.release(1_000);
                }
                if (shutdown.awaitTermination(BOUND).isEmpty()) {
                    fail("the shutdown did not end within " + BOUND + " of its escalation");
                }
            }
        } finally {
            for (AutoCloseable c : connections) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the kit's side only: nothing to report
                }
            }
            clients.shutdownNow();
        }
    }

    /** The report's entry for the adapter's ingress, with the counts checked. */
    IngressDescription assertCounts(ShutdownReport report, long accepted, long completed, long drained,
            long cancelled) {
        String name = server.ingress().describe().name();
        List<IngressDescription> entries = report.ingresses().stream().filter(d -> d.name().equals(name)).toList();
        assertEquals(1, entries.size(), "the report must list the ingress '" + name + "' once: " + report.ingresses());
        IngressDescription d = entries.get(0);
        String what = "report entry " + d;
        assertEquals(accepted, d.accepted(), () -> what + ": accepted");
        assertEquals(completed, d.completed(), () -> what + ": completed");
        assertEquals(drained, d.drained(), () -> what + ": drained (completed after stopAccepting() began)");
        assertEquals(cancelled, d.cancelled(), () -> what + ": cancelled");
        assertEquals(0, d.inFlight(), () -> what + ": in flight after the shutdown");
        assertTrue(report.hooks().stream().anyMatch(h -> h.phase() == Phase.STOP_ACCEPTING && h.name().equals(name)
                && h.status() == ShutdownReport.HookStatus.OK), () -> "stopAccepting() must return within its budget"
                + " share (reported OK): " + report.hooks());
        return d;
    }

    /** Waits for the shutdown's end and checks it was CLEAN. */
    ShutdownReport awaitClean() throws InterruptedException {
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        return report;
    }

    /** Polls {@code condition} every millisecond; the test's @Timeout bounds the wait. */
    static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(1);
        }
    }
}
