package dev.quiesce.http;

import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.shutdown.InFlightTracker;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The JDK server's executor: runs each exchange in its own virtual thread in the http scope
 * ({@code /shutdown/http/req-42}), counted from the moment it is handed over. Outside the scope (the server is
 * stopping) an exchange still runs, in a thread of its own, and its handler answers 503 at once.
 */
final class ExchangeExecutor implements Executor {
    /** The exchange the current thread serves, so that the route handler can mark it as work. */
    private static final ThreadLocal<Served> SERVED = new ThreadLocal<>();

    private final DrainingHttpServer server;
    private final InFlightTracker exchanges;
    private final InFlightTracker requests;
    private final InFlightTracker shutdownRequests;
    private final AtomicLong requestSeq = new AtomicLong();

    /**
     * @param requests the server's own count of requests
     * @param shutdownRequests the shutdown's, which its drain waits on and its report counts
     */
    ExchangeExecutor(DrainingHttpServer server, InFlightTracker exchanges, InFlightTracker requests,
            InFlightTracker shutdownRequests) {
        this.server = server;
        this.exchanges = exchanges;
        this.requests = requests;
        this.shutdownRequests = shutdownRequests;
    }

    /**
     * One exchange handed to the executor. The JDK's server hands a connection over as soon as it is
     * readable (a new one, or an idle keep-alive one), before it has read a request: one that closes without
     * a request (a connect-only probe, the server's own stop-accepting probe, a client dropping an idle
     * connection) or whose request the JDK rejects itself (400) must still end before the server stops, but
     * is not a request. So the exchange is counted in the server's own tracker from the hand-over (the
     * drain waits for it), and in the request trackers, which the report counts, only from the moment a
     * request reaches a handler. Until then it is in {@link #readingHead}: once draining, one that has not
     * delivered its request head within the server's request-head timeout is closed (see {@link #closeSlowHeads}).
     */
    private final class Served {
        final InFlightTracker.Ticket exchange;
        final long handedOverNanos = System.nanoTime();
        /** HEAD (reading the request head), then REQUEST (in a handler) or CLOSED (closed for being slow). */
        final AtomicInteger state = new AtomicInteger(HEAD);
        volatile Thread thread;
        volatile InFlightTracker.Ticket request;
        volatile InFlightTracker.Ticket shutdownRequest;

        Served(InFlightTracker.Ticket exchange) {
            this.exchange = exchange;
        }

        /** Whether the request may run: false if the exchange was closed for a slow request head. */
        boolean requestStarted() {
            if (state.get() == REQUEST) {
                return true;
            }
            if (!state.compareAndSet(HEAD, REQUEST)) {
                return false;
            }
            readingHead.remove(this);
            request = requests.enter();
            shutdownRequest = shutdownRequests.enter();
            return true;
        }

        void ended() {
            readingHead.remove(this);
            var r = request;
            if (r != null) {
                // before the exchange: when no exchange is left, no request is either
                shutdownRequest.close();
                r.close();
            }
            exchange.close();
        }
    }

    private static final int HEAD = 0;
    private static final int REQUEST = 1;
    private static final int CLOSED = 2;

    /** The exchanges handed over whose request head has not reached a handler yet. */
    private final Set<Served> readingHead = ConcurrentHashMap.newKeySet();
    private final LongAdder slowHeadsClosed = new LongAdder();

    /**
     * Called on the exchange's thread when a request reaches a handler (health probes excepted): from now on it
     * is work to drain.
     *
     * @return false if the exchange was closed meanwhile for a slow request head: the handler must not run
     */
    static boolean requestStarted() {
        Served served = SERVED.get();
        return served == null || served.requestStarted();
    }

    /**
     * Closes each exchange still reading its request head {@code timeoutNanos} after {@code sinceNanos} or after
     * it was handed over, whichever is later (interrupting its thread closes its channel: the JDK's server then
     * closes the connection). Such a connection holds no request: it is not work to drain. Uses no lambda: it
     * runs after the trigger.
     *
     * @return the {@code System.nanoTime()} at which the next exchange still reading its head is due, or
     *         {@code Long.MAX_VALUE} if none is
     */
    long closeSlowHeads(long sinceNanos, long timeoutNanos) {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (Served s : readingHead) {
            long due = Math.max(sinceNanos, s.handedOverNanos) + timeoutNanos;
            Thread t = s.thread;
            if (due - now > 0 || t == null) {
                next = Math.min(next, t == null ? now + timeoutNanos : due);
            } else if (s.state.compareAndSet(HEAD, CLOSED)) {
                readingHead.remove(s);
                slowHeadsClosed.increment();
                t.interrupt();
            }
        }
        return next;
    }

    /** Called on the exchange's thread of the server's own hold request: it is not a connection a client made. */
    static void notAConnection() {
        Served served = SERVED.get();
        if (served != null) {
            served.exchange.forget();
        }
    }

    /** Connections closed because they had not sent a complete request head in time, once draining. */
    long slowHeadsClosed() {
        return slowHeadsClosed.sum();
    }

    @Override
    public void execute(Runnable exchange) {
        var served = new Served(exchanges.enter());
        readingHead.add(served);
        Runnable counted = () -> {
            served.thread = Thread.currentThread();
            SERVED.set(served);
            try {
                exchange.run();
            } finally {
                SERVED.remove();
                served.ended();
            }
        };
        EngineScope<Object, Void> s = server.scope();
        try {
            if (s != null && !s.isCancelled()) {
                var sub = s.forkService("req-" + requestSeq.incrementAndGet(), new EngineScope.ServiceTask<Void>() {
                    @Override
                    public Void call() {
                        counted.run();
                        return null;
                    }

                    @Override
                    public void notRun() { // cancelled between the fork and its thread's start: answer outside
                        Thread.ofVirtual().name("quiesce-http-late").start(counted);
                    }
                });
                if (sub.state() != Subtask.State.CANCELLED) {
                    return;
                }
            }
        } catch (IllegalStateException closed) {
            // the scope has closed: fall through and answer outside it
        }
        // Never drop an exchange: outside the scope, the handler answers 503 at once (see RouteHandler).
        Thread.ofVirtual().name("quiesce-http-late").start(counted);
    }
}
