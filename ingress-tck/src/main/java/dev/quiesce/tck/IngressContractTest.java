package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link Ingress} implementation passes (see {@link Ingress} for the contract in prose). An
 * adapter's test extends this class and returns its {@link IngressFactory}:
 *
 * <pre>{@code
 * class MyServerIngressTest extends IngressContractTest {
 *     @Override
 *     protected IngressFactory factory() {
 *         return (shutdown, handlers) -> ...; // start the server, return ServerUnderTest.http1(ingress, address)
 *     }
 * }
 * }</pre>
 *
 * <p>Each test starts a fresh {@link Shutdown} (no signal handlers, exit policy {@code RETURN}), the server
 * through the factory, and triggers the shutdown in-process with {@link Shutdown#initiate(String)}, as SIGTERM
 * does. Tests wait for observed states, never for a guessed delay: the handlers' own counts, the readiness, and
 * a probe ingress of the kit's, registered after the adapter's, whose {@code stopAccepting()} and {@code goAway()}
 * the shutdown calls once the adapter's have returned (the report therefore also lists an ingress named
 * {@code tck-probe}). Every test has a {@code @Timeout}: a shutdown that an idle or stalled connection holds
 * for its whole (long) grace period fails by timing out. No test asserts a duration.
 *
 * <p>The protocol-specific steps (open a connection, send a request, see a reset, a clean close,
 * {@code Connection: close} or GOAWAY) are the {@link IngressClient}'s, which the factory chooses; the tests use
 * only the protocol-neutral {@link Reply}, {@link Closure} and {@link IngressClient.ConnectOutcome}.
 *
 * <p>Not thread-safe; JUnit runs each test on a fresh instance. The tests of one class must not run in
 * parallel (the JVM has one running {@link Shutdown} at a time).
 */
public abstract class IngressContractTest extends ContractSuite {
    private static final Duration LONG = KitRun.LONG;
    private static final Duration BOUND = KitRun.BOUND;

    private final List<AutoCloseable> connections = run.connections;
    private final ExecutorService clients = run.clients;
    private Shutdown shutdown;
    private ServerUnderTest server;
    private Handlers handlers;
    private ProbeIngress probe;

    /** For subclasses. */
    protected IngressContractTest() {}

    // ------------------------------------------------------------------ the contract

    /** In-flight requests at the trigger all complete, with success, and the drain waits for them. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void inFlightRequestsAtTheTrigger_allComplete() throws Exception {
        start(b -> b.gracePeriod(LONG));
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(send(open(), Route.SLOW));
        }
        awaitTrue(() -> handlers.slowEntered() == 4);
        shutdown.initiate("tck: in-flight requests at the trigger");
        await(probe.wentAway); // the adapter has stopped accepting and said goodbye; the drain waits
        ShutdownReport report = releaseAndEndClean(replies);
        assertCounts(report, 4, 4, 4, 0);
        assertEquals(0, handlers.slowInterrupted(), "no handler may be interrupted when the work drained in time");
    }

    /** A request that arrives, on a new connection or on one already open, during the pre-drain delay is served. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void aRequestDuringThePreDrainDelay_isServed() throws Exception {
        start(b -> b.preDrainDelay(LONG));
        IngressClient.Connection before = open();
        shutdown.initiate("tck: a request during the pre-drain delay");
        shutdown.readiness().await(Readiness.State.DRAINING); // the READINESS phase waits out the delay now
        Reply onNew = open().call(Route.QUICK);
        Reply onOpen = before.call(Route.QUICK);
        assertEquals(Reply.Status.OK, onNew.status(), "a new connection during the pre-drain delay must be served "
                + "(load balancers still send traffic then): " + onNew);
        assertEquals(Reply.Status.OK, onOpen.status(), "a connection opened before the trigger must be served during"
                + " the pre-drain delay: " + onOpen);
        assertEquals(java.util.Optional.of(Phase.READINESS), shutdown.phase(), "the pre-drain delay must still be running");
        awaitTrue(() -> server.ingress().inFlight().inFlight() == 0); // both answered: nothing in flight
        shutdown.escalate(); // ends the delay now, as a second SIGTERM does
        ShutdownReport report = shutdown.awaitTermination();
        assertCounts(report, 2, 2, 0, 0);
    }

    /** Once {@link Ingress#stopAccepting()} has returned, a new connection is refused at once, neither accepted nor left hanging. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void afterStopAccepting_aNewConnectionIsRefusedAtOnce() throws Exception {
        start(b -> b.gracePeriod(LONG));
        Future<Reply> inFlight = send(open(), Route.SLOW); // holds the drain open
        awaitTrue(() -> handlers.slowEntered() == 1);
        shutdown.initiate("tck: refused after stopAccepting");
        await(probe.stoppedAccepting);
        assertEquals(IngressClient.ConnectOutcome.REFUSED, server.client().tryConnect(Duration.ofSeconds(10)),
                "after stopAccepting() returned, a new connection must be refused at once (close the listener; a "
                        + "listener that stays open takes connections it will never serve)");
        assertCounts(releaseAndEndClean(List.of(inFlight)), 1, 1, 1, 0);
    }

    /**
     * A kept-alive connection whose request is in flight at the drain gets its response told to leave
     * ({@code Connection: close}, GOAWAY) and then a clean close, never a reset; an idle kept-alive connection
     * is closed cleanly too.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void aKeptAliveConnection_getsConnectionClose_andACleanClose() throws Exception {
        start(b -> b.gracePeriod(LONG));
        IngressClient.Connection busy = open();
        IngressClient.Connection idle = open();
        for (IngressClient.Connection c : List.of(busy, idle)) {
            Reply first = c.call(Route.QUICK);
            assertEquals(Reply.Status.OK, first.status(), first::toString);
            assertFalse(first.toldToLeave(), "precondition: a serving server keeps connections alive: " + first);
        }
        Future<Reply> reply = send(busy, Route.SLOW);
        awaitTrue(() -> handlers.slowEntered() == 1);
        shutdown.initiate("tck: kept-alive connections");
        await(probe.wentAway);
        handlers.release(1);
        Reply last = reply.get();
        assertEquals(Reply.Status.OK, last.status(), "the request in flight must complete: " + last);
        assertTrue(last.toldToLeave(), "a response sent while draining must tell the client to leave the connection"
                + " (Connection: close, GOAWAY): " + last);
        assertEquals(Closure.CLEAN, busy.awaitClosed(BOUND), "after its last response the connection must be closed"
                + " cleanly (FIN), never reset");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(Closure.CLEAN, idle.awaitClosed(BOUND), "an idle kept-alive connection must be closed cleanly by"
                + " the end of the shutdown, never reset");
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        assertCounts(report, 3, 3, 1, 0);
    }

    /** Idle kept-alive connections are not work: with no request in flight, the drain ends at once, clean. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void idleConnections_doNotHoldTheDrain() throws Exception {
        start(b -> b.gracePeriod(LONG)); // held by an idle connection, the drain would outlast the @Timeout
        List<IngressClient.Connection> idle = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            IngressClient.Connection c = open();
            assertEquals(Reply.Status.OK, c.call(Route.QUICK).status());
            idle.add(c);
        }
        shutdown.initiate("tck: idle connections");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        assertCounts(report, 3, 3, 0, 0);
        for (IngressClient.Connection c : idle) {
            assertEquals(Closure.CLEAN, c.awaitClosed(BOUND), "an idle connection must be closed cleanly, not reset");
        }
    }

    /**
     * A client that stalls in the middle of its request does not hold the shutdown past the grace period: the
     * sequence ends and the connection is closed; a request that never arrived whole is no request, so it is
     * neither accepted nor cancelled.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void aClientThatStallsMidRequest_doesNotHoldTheShutdownPastTheGracePeriod() throws Exception {
        start(b -> b.gracePeriod(Duration.ofSeconds(2)));
        assertEquals(Reply.Status.OK, open().call(Route.QUICK).status());
        IngressClient.Connection stalled = server.client().openStalled();
        connections.add(stalled);
        shutdown.initiate("tck: a stalled client");
        ShutdownReport report = shutdown.awaitTermination();
        assertNotEquals(Closure.STILL_OPEN, stalled.awaitClosed(BOUND), "a stalled connection must be closed by the"
                + " end of the shutdown");
        assertCounts(report, 1, 1, 0, 0);
    }

    /**
     * A stalled client is not work: once the real work is done, the shutdown ends CLEAN, well before a long grace
     * period (the adapter closes a connection that has not sent a complete request head within a short time once
     * draining).
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void aClientThatStallsMidRequest_isNotWork_theShutdownEndsCleanOnceRealWorkIsDone() throws Exception {
        start(b -> b.gracePeriod(LONG)); // held by the stalled client, the drain would outlast the @Timeout
        Future<Reply> inFlight = send(open(), Route.SLOW);
        awaitTrue(() -> handlers.slowEntered() == 1);
        IngressClient.Connection stalled = server.client().openStalled();
        connections.add(stalled);
        shutdown.initiate("tck: a stalled client is not work");
        await(probe.wentAway);
        ShutdownReport report = releaseAndEndClean(List.of(inFlight));
        assertNotEquals(Closure.STILL_OPEN, stalled.awaitClosed(BOUND), "a stalled connection must be closed");
        assertCounts(report, 1, 1, 1, 0);
    }

    /**
     * The report's entry for the ingress counts requests exactly: completed before the trigger, drained after it,
     * and cancelled (answered 503 or reset, its handler interrupted) when the grace was cut short. The refused
     * connection and the kit's own probe count nowhere.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void theCountsInTheReportAreExact() throws Exception {
        start(b -> b.gracePeriod(LONG));
        IngressClient.Connection quick = open();
        for (int i = 0; i < 3; i++) {
            assertEquals(Reply.Status.OK, quick.call(Route.QUICK).status());
        }
        List<Future<Reply>> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            slow.add(send(open(), Route.SLOW));
        }
        awaitTrue(() -> handlers.slowEntered() == 3);
        shutdown.initiate("tck: exact counts");
        await(probe.wentAway);
        assertEquals(IngressClient.ConnectOutcome.REFUSED, server.client().tryConnect(Duration.ofSeconds(10)));
        handlers.release(2); // two of the three complete, one is left to cancel
        awaitTrue(() -> slow.stream().filter(Future::isDone).count() == 2);
        awaitTrue(() -> server.ingress().inFlight().inFlight() == 1);
        shutdown.escalate(); // cuts the grace period short: the one left is cancelled
        ShutdownReport report = shutdown.awaitTermination();
        int ok = 0;
        for (Future<Reply> f : slow) {
            Reply r = f.get();
            if (r.status() == Reply.Status.OK) {
                ok++;
            } else {
                assertTrue(r.status() == Reply.Status.UNAVAILABLE || r.status() == Reply.Status.RESET, "a request"
                        + " cancelled at the end of the grace period must be answered 503 / UNAVAILABLE (or reset if"
                        + " no answer can be written), never dropped: " + r);
            }
        }
        assertEquals(2, ok, "two slow requests were released in time");
        assertEquals(1, handlers.slowInterrupted(), "the handler left at the end of the grace must be interrupted");
        assertEquals(ShutdownReport.Outcome.FORCED, report.outcome(), report::toText);
        IngressDescription entry = assertCounts(report, 6, 5, 2, 1);
        assertEquals(entry, server.ingress().describe(), "the counts are final once the shutdown has ended");
        assertFalse(entry.protocol().isBlank(), "the entry names its protocol");
        assertTrue(entry.address().endsWith(":" + server.address().getPort()), "the entry's address "
                + entry.address() + " must show the port " + server.address().getPort());
        assertTrue(report.toText().contains(entry.toText()), "the report's text shows the entry: " + report.toText());
    }

    /**
     * A continuous load through the listener's close loses nothing: every connection the server's kernel
     * accepted gets its request answered (a connection accepted just before the close included), and a
     * connection refused after it is the only "no". Clients behave as load generators and most HTTP clients
     * do ({@code wrk}, connection pools): they keep a connection alive and open a new one only when told to
     * leave or closed. Zero resets, zero empty replies.
     *
     * <p>What this cannot ask for: a client that opens a new connection for every request keeps the kernel's
     * accept queue full, and closing a listening socket resets what is queued in it, in every server.
     * An adapter keeps that queue empty at the close by keeping connections alive until the listener has
     * closed ({@link Ingress#goAway()}), so reconnects after it are refused, not queued.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void aContinuousLoadThroughTheListenerClose_losesNoRequest() throws Exception {
        start(b -> b.gracePeriod(LONG));
        int clientCount = 16;
        var lost = new CopyOnWriteArrayList<Reply>();
        var answered = new java.util.concurrent.atomic.AtomicLong();
        List<Future<?>> loops = new ArrayList<>();
        for (int i = 0; i < clientCount; i++) {
            loops.add(clients.submit(() -> {
                for (;;) {
                    IngressClient.Connection c;
                    try {
                        c = server.client().open();
                    } catch (java.net.ConnectException refused) {
                        return null; // the listener is closed: a real client goes to another replica
                    }
                    try (c) {
                        for (;;) { // keep-alive until told to leave, or until the reply is lost
                            Reply r = c.call(Route.QUICK);
                            if (r.status() != Reply.Status.OK) {
                                lost.add(r);
                                break;
                            }
                            answered.incrementAndGet();
                            if (r.toldToLeave()) {
                                break;
                            }
                        }
                    }
                }
            }));
        }
        awaitTrue(() -> answered.get() >= 200); // the load runs
        shutdown.initiate("tck: a continuous load through the listener's close");
        for (Future<?> loop : loops) {
            loop.get(); // each ends at its first refused connection
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(List.of(), lost, "requests on accepted connections that got no answer (" + answered.get()
                + " answered): a connection the kernel accepted before the listener closed must get its request "
                + "answered");
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        IngressDescription d = report.ingresses().stream()
                .filter(e -> e.name().equals(server.ingress().describe().name())).findFirst().orElseThrow();
        assertEquals(answered.get(), d.completed(), () -> "every answered request is counted once: " + d);
        assertEquals(d.accepted(), d.completed(), () -> "nothing cancelled, nothing in flight: " + d);
    }

    // ------------------------------------------------------------------ the kit's plumbing

    private void start(UnaryOperator<Shutdown.Builder> config) throws Exception {
        run.start(factory(), config);
        shutdown = run.shutdown;
        server = run.server;
        handlers = run.handlers;
        probe = run.probe;
    }

    private IngressClient.Connection open() throws IOException {
        IngressClient.Connection c = server.client().open();
        connections.add(c);
        return c;
    }

    /** Sends {@code route} on {@code c} from a client thread of the kit's. */
    private Future<Reply> send(IngressClient.Connection c, Route route) {
        return clients.submit(() -> c.call(route));
    }

    /** Releases the slow requests, checks each completes with success, and ends the shutdown: CLEAN. */
    private ShutdownReport releaseAndEndClean(List<Future<Reply>> slow) throws Exception {
        handlers.release(slow.size());
        for (Future<Reply> f : slow) {
            Reply r = f.get();
            assertEquals(Reply.Status.OK, r.status(), "a request in flight at the trigger must complete: " + r);
            assertEquals("slow", r.body());
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        return report;
    }

    private IngressDescription assertCounts(ShutdownReport report, long accepted, long completed, long drained,
            long cancelled) {
        return run.assertCounts(report, accepted, completed, drained, cancelled);
    }

    private static void await(CountDownLatch latch) throws InterruptedException {
        latch.await(); // the test's @Timeout bounds it
    }

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        KitRun.awaitTrue(condition);
    }
}
