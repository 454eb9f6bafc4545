package dev.quiesce.spring.tomcat;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ValveBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Boot's embedded Tomcat as a Quiesce {@link Ingress}. An engine {@link Valve} ({@link #valve()}, added to the web
 * server factory) counts every request that reaches the container, until its response is done (an async request
 * until its {@code AsyncContext} completes); the drain waits on that count, not on Tomcat's or Boot's
 * graceful-shutdown timer.
 *
 * <ul>
 *   <li>{@link #stopAccepting()}: closes every connector's server socket, with its acceptor still accepting (the
 *       starter's {@link QuiesceHttp11NioProtocol}; another protocol: Tomcat's {@code closeServerSocketGraceful}),
 *       so every connection the kernel accepted before the close gets its request served; the connector is not
 *       paused, since a paused Tomcat answers 503 to a request on a kept-alive connection. A new connection is
 *       refused once it returns. Connections already open are still served.
 *       Every response committed once the sockets are closed carries {@code Connection: close} (the valve sets it on requests
 *       that arrive, the {@link #filter()} on responses of requests already running; a response committed
 *       before keeps its headers).
 *   <li>{@link #goAway()}: once no request is in flight, and at least 250 ms after the listeners closed (a
 *       connection accepted just before the close, or kept alive by a response committed before it, gets that
 *       long to send its request), the connectors are stopped, which closes the idle kept-alive connections.
 *   <li>{@link #forceClose()}: the threads serving requests still in flight are interrupted, those requests are
 *       counted cancelled (answered 503 by the filter when their handler ends in an exception before the response
 *       is committed), and the connectors stop once they have ended.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class TomcatIngress implements Ingress {
    private static final Logger LOG = LoggerFactory.getLogger(TomcatIngress.class);
    /**
     * After the listeners closed, the connectors stay up at least this long, idle or not: a connection the kernel
     * accepted just before the close gets that long to send its request, and a client whose last response was
     * keep-alive (committed before the close) to send its next one, answered with {@code Connection: close}.
     */
    private static final long CLOSE_GRACE_NANOS = Duration.ofMillis(250).toNanos();

    private final String name;
    private final InFlightTracker requests = new InFlightTracker();
    /** The shutdown's own tracker, which each request enters too ({@link #countIn}); null: this ingress's only. */
    private volatile InFlightTracker shutdownRequests;
    private final Set<Thread> serving = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Tomcat> tomcat = new AtomicReference<>();
    private final AtomicBoolean stopAcceptingCalled = new AtomicBoolean();
    private final AtomicBoolean goAwayCalled = new AtomicBoolean();
    private final AtomicBoolean connectorsStopped = new AtomicBoolean();
    private final AtomicReference<InFlightTracker.Ticket> hold = new AtomicReference<>();
    private final AtomicLong drained = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong forcedAt = new AtomicLong(Long.MAX_VALUE);
    private volatile long listenerClosedAt = Long.MAX_VALUE; // System.nanoTime() when stopAccepting() began
    private volatile long listenerClosedDoneAt = System.nanoTime(); // System.nanoTime() when the listeners were closed
    private volatile boolean draining;
    private volatile String address = "unbound";
    /** Made with the ingress, not after the trigger (its class is loaded now; see core's WarmUp). */
    private final Runnable stopper = new Runnable() {
        @Override
        public void run() {
            stopWhenIdle();
        }
    };

    /**
     * An ingress named {@code name}; attach the server with {@link #attach(Tomcat)} once it has started.
     *
     * @param name the ingress's name in the report (non-blank, no {@code '/'})
     */
    public TomcatIngress(String name) {
        this.name = name;
    }

    /**
     * Counts each request in {@code tracker} too, while it is in flight, as the JDK and Jetty adapters count theirs in
     * the shutdown's own tracker: the report's "in flight at trigger" and "drained" then include this ingress's
     * requests. Call it before the server takes requests.
     *
     * @param tracker the shutdown's tracker ({@link dev.quiesce.shutdown.Shutdown#inFlight()})
     */
    public void countIn(InFlightTracker tracker) {
        shutdownRequests = tracker;
    }

    /**
     * The server this ingress drives.
     *
     * @param server the started embedded Tomcat
     */
    public void attach(Tomcat server) {
        tomcat.set(server);
        Connector[] connectors = server.getService().findConnectors();
        address = connectors.length == 0 ? "unbound" : "127.0.0.1:" + connectors[0].getLocalPort();
    }

    /**
     * The valve that counts requests; add it to the server's engine before it starts.
     *
     * @return a new valve of this ingress
     */
    public Valve valve() {
        return new ValveBase(true) {
            @Override
            public void invoke(Request request, Response response) throws IOException, ServletException {
                serve(request, response, getNext());
            }
        };
    }

    /**
     * The filter that puts {@code Connection: close} on responses committed while draining; add it first in the
     * application's filter chain (see {@link QuiesceTomcatAutoConfiguration}).
     *
     * @return a new filter of this ingress
     */
    public jakarta.servlet.Filter filter() {
        return new CloseOnDrainFilter(new java.util.function.BooleanSupplier() {
            @Override
            public boolean getAsBoolean() {
                return draining;
            }
        }, new java.util.function.BooleanSupplier() {
            @Override
            public boolean getAsBoolean() {
                return forcedAt.get() != Long.MAX_VALUE;
            }
        });
    }

    void serve(Request request, Response response, Valve next) throws IOException, ServletException {
        InFlightTracker shared = shutdownRequests;
        InFlightTracker.Ticket sharedTicket = shared == null ? null : shared.enter();
        InFlightTracker.Ticket ticket = requests.enter();
        long seq = requests.entered();
        Thread thread = Thread.currentThread();
        serving.add(thread);
        boolean async = false;
        try {
            if (draining) {
                response.setHeader("Connection", "close");
            }
            next.invoke(request, response);
            if (draining && !response.isCommitted()) {
                response.setHeader("Connection", "close");
            }
            if (request.isAsyncStarted()) {
                async = true;
                request.getAsyncContext().addListener(new End(ticket, sharedTicket, seq));
            }
        } finally {
            serving.remove(thread);
            if (!async) {
                finish(response);
                // when the client had its answer: Spring flushes (commits) inside the servlet, before this runs
                end(ticket, sharedTicket, seq, response.getCoyoteResponse().isCommitted()
                        ? response.getCoyoteResponse().getCommitTimeNanos() : System.nanoTime());
            }
        }
    }

    /**
     * Writes the rest of the response now, before the request counts as done: otherwise Tomcat would write it after
     * this valve returns, and the connectors, stopped once nothing is in flight, could cut it off.
     */
    private static void finish(Response response) {
        try {
            response.finishResponse();
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not finish the response; Tomcat finishes or resets it", e);
        }
    }

    private void end(InFlightTracker.Ticket ticket, InFlightTracker.Ticket sharedTicket, long seq, long answeredNanos) {
        if (seq <= forcedAt.get()) {
            if (forcedAt.get() != Long.MAX_VALUE) {
                cancelled.incrementAndGet();
            } else if (listenerClosedAt != Long.MAX_VALUE && answeredNanos - listenerClosedAt >= 0) {
                drained.incrementAndGet();
            }
        } else {
            cancelled.incrementAndGet(); // arrived after forceClose: it ends with the connectors
        }
        ticket.close();
        if (sharedTicket != null) {
            sharedTicket.close(); // last: the shutdown sees the request done once this ingress does
        }
    }

    private final class End implements AsyncListener {
        private final InFlightTracker.Ticket ticket;
        private final InFlightTracker.Ticket sharedTicket;
        private final long seq;
        private final AtomicBoolean ended = new AtomicBoolean();

        End(InFlightTracker.Ticket ticket, InFlightTracker.Ticket sharedTicket, long seq) {
            this.ticket = ticket;
            this.sharedTicket = sharedTicket;
            this.seq = seq;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            once();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // the container completes or errors it next
        }

        @Override
        public void onError(AsyncEvent event) {
            once();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this);
        }

        private void once() {
            if (ended.compareAndSet(false, true)) {
                end(ticket, sharedTicket, seq, System.nanoTime());
            }
        }
    }

    @Override
    public void stopAccepting() {
        Tomcat server = tomcat.get();
        if (listenerClosedAt == Long.MAX_VALUE) {
            listenerClosedAt = System.nanoTime();
        }
        if (server == null || !stopAcceptingCalled.compareAndSet(false, true)) {
            draining = true;
            return;
        }
        hold.set(requests.enter()); // the drain lasts the close grace at least (released by goAway's stopper)
        for (Connector connector : server.getService().findConnectors()) {
            closeListener(connector);
        }
        // keep-alive ends once the listener is closed, not before: a client told to leave now reconnects
        // elsewhere (refused here); told earlier, its new connection would wait in the kernel's queue, reset by the close
        listenerClosedDoneAt = System.nanoTime();
        draining = true;
    }

    /**
     * Closes the connector's listening socket: first, with the acceptor still accepting, when the protocol is the
     * starter's {@link QuiesceHttp11NioProtocol}; else with Tomcat's {@code closeServerSocketGraceful()}, which stops
     * the acceptor before the close (connections the kernel queued in between are reset).
     */
    private static void closeListener(Connector connector) {
        if (connector.getProtocolHandler() instanceof QuiesceHttp11NioProtocol protocol) {
            try {
                if (protocol.closeListener()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the phase's share is over; the socket is closed, or closing
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("could not close the listener of Tomcat connector {}; closing it the Tomcat way", connector, e);
            }
        }
        connector.getProtocolHandler().closeServerSocketGraceful();
    }

    @Override
    public InFlightTracker inFlight() {
        return requests;
    }

    @Override
    public void goAway() {
        draining = true;
        if (goAwayCalled.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("quiesce-tomcat-stop").start(stopper);
        }
    }

    private void stopWhenIdle() {
        try {
            long graceLeft = listenerClosedDoneAt + CLOSE_GRACE_NANOS - System.nanoTime();
            if (graceLeft > 0 && forcedAt.get() == Long.MAX_VALUE) {
                Thread.sleep(Duration.ofNanos(graceLeft));
            }
            releaseHold();
            while (!requests.awaitIdle(Duration.ofDays(1))) {
                // keep waiting: the shutdown's cancel (forceClose) ends the requests
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopConnectors();
    }

    /** Ends the hold {@link #stopAccepting()} took on the count: the drain now waits for the requests only. */
    private void releaseHold() {
        InFlightTracker.Ticket t = hold.getAndSet(null);
        if (t != null) {
            t.forget(); // not a request: not counted
        }
    }

    private void stopConnectors() {
        Tomcat server = tomcat.get();
        if (server == null || !connectorsStopped.compareAndSet(false, true)) {
            return;
        }
        if (forcedAt.get() != Long.MAX_VALUE) {
            // after a cancel the count is zero once the cancelled handlers have ended, which is before Tomcat has
            // written their 503 (it finishes a response after the valves): stopping now could close a connection
            // before its answer. Each such answer carries Connection: close, so its connection closes once it is
            // written; wait for that, briefly (an idle kept-alive connection holds the wait to its bound)
            long left = 500;
            for (Connector connector : server.getService().findConnectors()) {
                left = Math.max(0, connector.getProtocolHandler().awaitConnectionsClose(left));
            }
        }
        for (Connector connector : server.getService().findConnectors()) {
            try {
                connector.stop();
            } catch (LifecycleException | RuntimeException e) {
                LOG.warn("could not stop Tomcat connector {}; the context's close stops the server", connector, e);
            }
        }
    }

    @Override
    public void forceClose() {
        draining = true;
        releaseHold();
        forcedAt.compareAndSet(Long.MAX_VALUE, requests.entered());
        for (Thread t : serving) {
            t.interrupt();
        }
        goAway();
    }

    @Override
    public IngressDescription describe() {
        long c = cancelled.get();
        long ended = requests.completed();
        long accepted = requests.entered() - (hold.get() == null ? 0 : 1); // the hold is not a request
        long completed = Math.max(0, ended - c);
        return new IngressDescription(name, "HTTP/1.1", address, accepted, completed, Math.min(drained.get(), completed),
                c, Math.max(0, accepted - ended));
    }
}
