package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.Ingress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP/2 part of the contract, for an adapter that serves h2c (HTTP/2 without TLS, by prior knowledge): at
 * the drain ({@link Ingress#goAway()}) each HTTP/2 connection gets, while its streams are in flight, a graceful
 * GOAWAY (NO_ERROR; RFC 9113 section 6.8 says with the last stream id 2^31-1) and then one with the last stream id
 * the server processes; the streams in flight complete; a new stream the client sends on the connection after
 * that GOAWAY is refused (reset, or ignored as above its last stream id) and never reaches a handler; then the
 * connection is closed cleanly. An adapter opts in by extending this class:
 *
 * <pre>{@code
 * class MyServerHttp2Test extends Http2ContractTest {
 *     @Override
 *     protected IngressFactory factory() {
 *         return MyServerIngressTest.factory(); // the same routes, served over h2c on the same address too
 *     }
 * }
 * }</pre>
 *
 * <p>The kit's client is its own minimal h2c client on a plain socket (a client library such as the JDK's
 * {@code HttpClient} speaks h2c only by upgrade, and never sends a stream after a GOAWAY, which is the case the
 * server must refuse). Not thread-safe; JUnit runs each test on a fresh instance.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // inherited by the adapter's test
public abstract class Http2ContractTest extends ContractSuite {
    /** For subclasses. */
    protected Http2ContractTest() {}

    /**
     * A stream in flight at the drain completes, after a graceful GOAWAY that came while it was in flight; a new
     * stream after the GOAWAY is refused and reaches no handler; the connection then closes cleanly; the counts
     * are exact (the refused stream is no request).
     *
     * @throws Exception if the test fails
     */
    @Test
    public void anInFlightStreamCompletes_andANewStreamIsRefused_afterGoAway() throws Exception {
        startWithALongGrace();
        H2cConnection h2 = H2cConnection.open(run.server.address());
        run.connections.add(h2);
        H2cConnection.Outcome first = h2.get(Http1Client.path(Route.QUICK)).get();
        assertEquals(new Reply(Reply.Status.OK, 200, false, "quick"), first.reply(), "precondition: the server"
                + " speaks h2c by prior knowledge on " + run.server.address() + ": " + first);

        CompletableFuture<H2cConnection.Outcome> inFlight = h2.get(Http1Client.path(Route.SLOW));
        KitRun.awaitTrue(() -> run.handlers.slowEntered() == 1);
        run.shutdown.initiate("tck: an HTTP/2 stream through the drain");
        H2cConnection.GoAway goAway = awaitGoAway(h2, h2.goAway());
        assertEquals(0, goAway.error(), "the first GOAWAY must be graceful (NO_ERROR): " + goAway);
        H2cConnection.GoAway last = awaitGoAway(h2, h2.finalGoAway());
        assertFalse(inFlight.isDone(), "the GOAWAYs must come while the stream is in flight, not after it: "
                + (inFlight.isDone() ? inFlight.get() : "") + "; GOAWAY frames: " + h2.goAways());
        assertEquals(0, last.error(), "the GOAWAY of a drain says NO_ERROR: " + last);
        assertTrue(last.lastStreamId() >= 3, "the GOAWAY's last stream id must cover the stream in flight (3): "
                + last);

        int quickBefore = run.handlers.quickServed();
        H2cConnection.Outcome refused = h2.get(Http1Client.path(Route.QUICK)).get();
        assertNotEquals(H2cConnection.End.RESPONSE, refused.end(), "after the GOAWAY, a new stream on the connection"
                + " must be refused (RST_STREAM, or ignored above the GOAWAY's last stream id), not served: "
                + refused + "; GOAWAY frames: " + h2.goAways());

        run.handlers.release(1);
        H2cConnection.Outcome done = inFlight.get();
        assertEquals(Reply.Status.OK, done.reply().status(), "the stream in flight at the GOAWAY must complete: "
                + done);
        assertEquals("slow", done.body());
        run.assertCounts(run.awaitClean(), 2, 2, 1, 0);
        assertEquals(quickBefore, run.handlers.quickServed(), "the refused stream must never reach a handler");
        assertEquals(Closure.CLEAN, h2.closed().get(), "the connection must be closed cleanly (FIN), never reset");
    }

    /** Waits for {@code goAway}, which must come while the stream is in flight at the drain. */
    private static H2cConnection.GoAway awaitGoAway(H2cConnection h2, CompletableFuture<H2cConnection.GoAway> goAway)
            throws Exception {
        try {
            return goAway.get(KitRun.BOUND.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("while a stream is in flight at the drain, the server must send a graceful"
                    + " GOAWAY and then one with the last stream id it processes (RFC 9113 section 6.8), so that new"
                    + " streams are refused; GOAWAY frames within " + KitRun.BOUND + ": " + h2.goAways(), e);
        }
    }
}
