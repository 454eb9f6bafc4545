package dev.quiesce.http;

import dev.quiesce.Subtask;
import dev.quiesce.internal.ScopeImpl;
import dev.quiesce.shutdown.InFlightTracker;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

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
     * drain waits for it), and in the shutdown's tracker, which the report counts, only from the moment a
     * request reaches a handler.
     */
    private final class Served {
        final InFlightTracker.Ticket exchange;
        volatile InFlightTracker.Ticket request;
        volatile InFlightTracker.Ticket shutdownRequest;

        Served(InFlightTracker.Ticket exchange) {
            this.exchange = exchange;
        }

        void requestStarted() {
            if (request == null) {
                request = requests.enter();
                shutdownRequest = shutdownRequests.enter();
            }
        }

        void ended() {
            var r = request;
            if (r != null) {
                // before the exchange: when no exchange is left, no request is either
                shutdownRequest.close();
                r.close();
            }
            exchange.close();
        }
    }

    /** Called when a request reaches a handler (health probes excepted): from now on it is work to drain. */
    static void requestStarted() {
        Served served = SERVED.get();
        if (served != null) {
            served.requestStarted();
        }
    }

    @Override
    public void execute(Runnable exchange) {
        var served = new Served(exchanges.enter());
        Runnable counted = () -> {
            SERVED.set(served);
            try {
                exchange.run();
            } finally {
                SERVED.remove();
                served.ended();
            }
        };
        ScopeImpl<Object, Void> s = server.scope();
        try {
            if (s != null && !s.isCancelled()) {
                var sub = s.forkService("req-" + requestSeq.incrementAndGet(), () -> {
                    counted.run();
                    return null;
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
