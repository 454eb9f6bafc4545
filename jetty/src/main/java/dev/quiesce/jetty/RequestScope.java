package dev.quiesce.jetty;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests' place in the shutdown's scope tree: a service of the shutdown that owns the scope {@code http} and
 * forks one virtual thread per request into it, named {@code <scope path>/req-N}. Jetty's threads cannot fork
 * into a scope they are not in (as with the JDK's {@code StructuredTaskScope}, only the owner and threads inside
 * it may), so they hand each request to the owner through a queue, and the owner forks it.
 *
 * <p>The service ends when the server has stopped: after the drain ({@link QuiesceJetty#drained()}), or at once
 * after a cancel (the shutdown's CANCEL phase interrupts it, or {@link QuiesceJetty#forceClose()} wakes it), when
 * the cancelled handlers have had a moment to write their 503. A request handed over when no thread can be had is
 * answered 503 at once, never dropped.
 *
 * <p>Thread-safe.
 */
final class RequestScope {
    /** Wakes the owner to re-check the drain. */
    private static final Runnable WAKE = () -> { };

    private final QuiesceJetty jetty;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch opened = new CountDownLatch(1);
    private final AtomicLong seq = new AtomicLong();
    private final ThreadFactory threads;
    private volatile String namePrefix = "http/req-";
    private volatile Scope<Object, Void> scope;
    /** No more forks: queued and new requests are answered 503. */
    private volatile boolean closed;
    private volatile boolean forced;

    RequestScope(QuiesceJetty jetty) {
        this.jetty = jetty;
        // made here, at start, not after the trigger
        this.threads = r -> Thread.ofVirtual().name(namePrefix + seq.incrementAndGet()).unstarted(r);
    }

    /** Waits until the scope is open; false if the service ended first (the shutdown began meanwhile). */
    boolean awaitOpened(Subtask<?> service) throws InterruptedException {
        while (!opened.await(10, TimeUnit.MILLISECONDS)) {
            if (service.state() != Subtask.State.UNAVAILABLE) {
                return false;
            }
        }
        return true;
    }

    /** From Jetty's threads: runs {@code exchange} in the scope, or answers it 503 if it cannot. */
    void submit(Exchange exchange) {
        if (closed) {
            exchange.reject();
            return;
        }
        queue.add(exchange);
        if (closed && queue.remove(exchange)) { // closed meanwhile: the owner may not see it any more
            exchange.reject();
        }
    }

    /** Wakes the owner, to re-check whether the drain is over or the ingress was forced closed. */
    void wake() {
        queue.add(WAKE);
    }

    /**
     * Asks the requests running to stop soon, without interrupting them ({@link Scope#stopRequested()}): a
     * streaming handler (SSE) ends its stream. The shutdown's drain does it for its whole tree already; this is
     * for a {@code goAway()} called by the application.
     */
    void requestStop() {
        Scope<Object, Void> s = scope;
        if (s != null) {
            s.requestStop();
        }
    }

    /** Cancels the requests still running (their handlers are interrupted and answer 503) and ends the service. */
    void force(String why) {
        forced = true;
        Scope<Object, Void> s = scope;
        if (s != null) { // a no-op when the shutdown's cancel reached the scope first: its reason stands
            s.cancel(CancelReason.explicit(why));
        }
        wake();
    }

    /** The service's body: owns the scope, forks the requests, stops the server when they are done. */
    void serve() throws InterruptedException {
        try (Scope<Object, Void> s = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("http").withThreadFactory(threads))) {
            namePrefix = s.path() + "/req-";
            scope = s;
            opened.countDown();
            try {
                forkUntilDrained(s);
            } catch (InterruptedException e) {
                closeAndStop(true); // CANCEL: the handlers were interrupted too and are answering 503
                joinCancelled(s);
                throw e;
            }
            closeAndStop(forced);
            joinCancelled(s);
        } finally {
            closeAndStop(true); // idempotent; covers a scope that did not open
        }
    }

    private void forkUntilDrained(Scope<Object, Void> s) throws InterruptedException {
        for (;;) {
            // before the listener closes, nothing can end the drain: sleep until a request comes; after it, check
            // often (the drain ends when nothing is in flight, a little after the close)
            Runnable r = jetty.listenerClosed() ? queue.poll(10, TimeUnit.MILLISECONDS) : queue.take();
            if (r != null && r != WAKE) {
                Exchange e = (Exchange) r;
                if (s.isCancelled() || s.fork((Runnable) e).state() == Subtask.State.CANCELLED) {
                    e.reject(); // a fork into a cancelled scope never runs
                }
            }
            if (forced || s.isCancelled()) {
                return;
            }
            if (jetty.drained()) {
                return;
            }
        }
    }

    /** Joins a scope that may have been cancelled (forceClose(), the CANCEL phase): the service ended as asked. */
    private static void joinCancelled(Scope<Object, Void> s) {
        try {
            s.join();
        } catch (CancelledException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeAndStop(boolean cancelled) {
        closed = true;
        for (Runnable r; (r = queue.poll()) != null; ) {
            if (r != WAKE) {
                ((Exchange) r).reject();
            }
        }
        if (cancelled) {
            jetty.awaitAnswered(500); // let the cancelled handlers write their 503, briefly
        }
        jetty.stopServer(!cancelled);
    }
}
