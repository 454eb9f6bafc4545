package dev.quiesce.tck;

import dev.quiesce.Scope;
import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the service under test does: the kit's two request handlers, which an adapter's
 * {@link IngressFactory} wires into its server's routes (or RPC methods). Each method is called on the
 * thread that serves the request; the adapter answers success with the returned body. When
 * {@link #slow()} throws {@link InterruptedException} (the request was cancelled), the adapter answers as it
 * answers any cancelled request (HTTP 503, gRPC UNAVAILABLE or CANCELLED). {@link #events(EventSink)} is the
 * streaming one ({@link Route#EVENTS}, server-sent events), which {@link SseContractTest} uses.
 *
 * <p>Thread-safe.
 */
public final class Handlers {
    private final AtomicInteger slowEntered = new AtomicInteger();
    private final AtomicInteger slowInterrupted = new AtomicInteger();
    private final AtomicInteger quickServed = new AtomicInteger();
    private final AtomicInteger eventsSent = new AtomicInteger();
    private final Semaphore releases = new Semaphore(0);

    Handlers() {}

    /** The quick request's work: returns its body, {@code "quick"}, at once. */
    public String quick() {
        quickServed.incrementAndGet();
        return "quick";
    }

    /**
     * The slow request's work: blocks until the test releases it, then returns its body, {@code "slow"}.
     *
     * @throws InterruptedException if the request is cancelled while it waits
     */
    public String slow() throws InterruptedException {
        slowEntered.incrementAndGet();
        try {
            releases.acquire();
        } catch (InterruptedException e) {
            slowInterrupted.incrementAndGet();
            throw e;
        }
        return "slow";
    }

    /** Where an SSE client writes one event: the adapter writes {@code event} to the response and flushes it. */
    @FunctionalInterface
    public interface EventSink {
        /**
         * Writes {@code event} (one server-sent event, its blank line included) and flushes it to the client.
         *
         * @param event the event's text
         * @throws IOException if it cannot be written
         */
        void send(String event) throws IOException;
    }

    /** The last event of {@link #events}' stream, sent once the request's scope is asked to stop. */
    static final String LAST_EVENT = "event: bye\ndata: going away\n\n";

    /** The {@code n}th event of {@link #events}' stream, from 1. */
    static String event(int n) {
        return "data: tick " + n + "\n\n";
    }

    /**
     * The streaming request's work (server-sent events): sends an event every few milliseconds until the request's
     * scope is asked to stop ({@link Scope#stopRequested()}, which the shutdown's drain turns true in the whole
     * scope tree), then one last event, {@code event: bye}, and returns; the adapter then ends the response. The
     * adapter answers {@code 200} with {@code Content-Type: text/event-stream} before the first event.
     *
     * @param sink writes and flushes one event
     * @throws IOException if an event cannot be written
     * @throws InterruptedException if the request is cancelled
     * @throws IllegalStateException if it does not run in a Quiesce scope (the adapter must run each request in
     *     the shutdown's scope tree, or the drain cannot ask it to stop)
     */
    public void events(EventSink sink) throws IOException, InterruptedException {
        try {
            Scope.current();
        } catch (IllegalStateException e) {
            throw new IllegalStateException("Handlers.events() runs outside any Quiesce scope: run each request in"
                    + " the shutdown's scope tree (its drain asks the requests to stop)", e);
        }
        while (!Scope.stopRequested()) {
            sink.send(event(eventsSent.get() + 1));
            eventsSent.incrementAndGet();
            Thread.sleep(5); // the stream's pace, not a synchronisation
        }
        sink.send(LAST_EVENT);
    }

    int slowEntered() {
        return slowEntered.get();
    }

    int quickServed() {
        return quickServed.get();
    }

    int eventsSent() {
        return eventsSent.get();
    }

    int slowInterrupted() {
        return slowInterrupted.get();
    }

    /** Lets {@code n} slow requests (running or to come) return. */
    void release(int n) {
        releases.release(n);
    }
}
