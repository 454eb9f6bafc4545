package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The streaming part of the contract (server-sent events over HTTP/1.1): a stream open at the drain ends cleanly
 * once the drain asks the requests to stop ({@code Scope.stopRequested()} turns true in the handler, which sends
 * its last event and returns): the client gets every event that was sent, the last one included, and the
 * response's proper end (HTTP/1.1's last chunk), then a clean close; the drain waits for it and ends CLEAN. An
 * adapter opts in by extending this class; its factory also serves {@link Route#EVENTS} with
 * {@link Handlers#events(Handlers.EventSink)}:
 *
 * <pre>{@code
 * class MyServerSseTest extends SseContractTest {
 *     @Override
 *     protected IngressFactory factory() {
 *         return MyServerIngressTest.factory(); // GET /tck/events: 200, text/event-stream, handlers.events(sink)
 *     }
 * }
 * }</pre>
 *
 * <p>The client is the kit's HTTP/1.1 client ({@link Http1Client}) on the returned address. Not thread-safe;
 * JUnit runs each test on a fresh instance.
 */
public abstract class SseContractTest extends ContractSuite {
    /** For subclasses. */
    protected SseContractTest() {}

    /**
     * An SSE stream open at the drain ends with its last event and the response's end, every event before it
     * delivered, then a clean close; the drain is CLEAN and counts the stream as a drained request.
     *
     * @throws Exception if the test fails
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    public void anSseStreamOpenAtTheDrain_endsCleanly_withEveryEventBeforeIt() throws Exception {
        startWithALongGrace();
        IngressClient.Connection c = new Http1Client(run.server.address()).open();
        run.connections.add(c);
        Future<Reply> stream = run.clients.submit(() -> c.call(Route.EVENTS));
        KitRun.awaitTrue(() -> run.handlers.eventsSent() >= 3); // the stream runs
        run.shutdown.initiate("tck: an SSE stream at the drain");
        Reply r = stream.get();
        assertEquals(Reply.Status.OK, r.status(), "the stream must end with the response's end (the last chunk), not"
                + " be cut off (a reset, or a close before its end): " + r);
        var expected = new StringBuilder();
        for (int i = 1; i <= run.handlers.eventsSent(); i++) {
            expected.append(Handlers.event(i));
        }
        expected.append(Handlers.LAST_EVENT);
        assertEquals(expected.toString(), r.body(), "the client must get every event sent, then the last one");
        assertEquals(Closure.CLEAN, c.awaitClosed(KitRun.BOUND), "after the stream's end the connection must be"
                + " closed cleanly (FIN), never reset");
        run.assertCounts(run.awaitClean(), 1, 1, 1, 0);
    }
}
