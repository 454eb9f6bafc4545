package dev.quiesce.grpc;

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
 * The calls' place in the shutdown's scope tree: a service of the shutdown that owns the scope {@code grpc} and
 * forks one virtual thread per call into it, named {@code <scope path>/call-N} (the call opens its own scope of
 * the same path). grpc-java's threads cannot fork into a scope they are not in (as with the JDK's
 * {@code StructuredTaskScope}, only the owner and threads inside it may), so they hand each call to the owner
 * through a queue, and the owner forks it.
 *
 * <p>The service ends when the server has stopped: after the drain ({@link QuiesceGrpc#drained()}), or at once
 * after a cancel (the shutdown's CANCEL phase interrupts it, or {@link QuiesceGrpc#forceClose()} wakes it), when
 * the cancelled handlers have had a moment to answer. A call handed over when no thread can be had is answered
 * {@code UNAVAILABLE} at once, never dropped.
 *
 * <p>Thread-safe.
 */
final class CallScope {
    /** Wakes the owner to re-check the drain. */
    private static final Runnable WAKE = () -> { };

    private final QuiesceGrpc grpc;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch opened = new CountDownLatch(1);
    private final AtomicLong numbers = new AtomicLong();
    private final ThreadFactory threads;
    private volatile String namePrefix = "grpc/call-";
    /** The name of the thread being forked; written and read by the owner only (the factory runs in fork()). */
    private String forking = "grpc/call";
    private volatile Scope<Object, Void> scope;
    /** No more forks: queued and new calls are answered UNAVAILABLE. */
    private volatile boolean closed;
    private volatile boolean forced;

    CallScope(QuiesceGrpc grpc) {
        this.grpc = grpc;
        // made here, at start, not after the trigger
        this.threads = r -> Thread.ofVirtual().name(forking).unstarted(r);
    }

    /** The next call's number. */
    long nextNumber() {
        return numbers.incrementAndGet();
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

    /** From grpc's threads: runs {@code call} in the scope, or answers it UNAVAILABLE if it cannot. */
    void submit(GrpcCall<?, ?> call) {
        if (closed) {
            call.reject();
            return;
        }
        queue.add(call);
        if (closed && queue.remove(call)) { // closed meanwhile: the owner may not see it any more
            call.reject();
        }
    }

    /** Wakes the owner, to re-check whether the drain is over or the ingress was forced closed. */
    void wake() {
        queue.add(WAKE);
    }

    /** Asks the calls running to stop soon, without interrupting them ({@link Scope#stopRequested()}). */
    void requestStop() {
        Scope<Object, Void> s = scope;
        if (s != null) {
            s.requestStop();
        }
    }

    /** Cancels the calls still running and ends the service. */
    void force(String why) {
        forced = true;
        Scope<Object, Void> s = scope;
        if (s != null) { // a no-op when the shutdown's cancel reached the scope first: its reason stands
            s.cancel(CancelReason.explicit(why));
        }
        wake();
    }

    /** The service's body: owns the scope, forks the calls, stops the server when they are done. */
    void serve() throws InterruptedException {
        try (Scope<Object, Void> s = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("grpc").withThreadFactory(threads))) {
            namePrefix = s.path() + "/call-";
            scope = s;
            opened.countDown();
            try {
                forkUntilDrained(s);
            } catch (InterruptedException e) {
                closeAndStop(true); // CANCEL: the handlers were interrupted too and are answering
                joinCancelled(s);
                throw e;
            }
            closeAndStop(forced || s.isCancelled());
            joinCancelled(s);
        } finally {
            closeAndStop(true); // idempotent; covers a scope that did not open
        }
    }

    private void forkUntilDrained(Scope<Object, Void> s) throws InterruptedException {
        for (;;) {
            // before goAway() and the listener's close, nothing is due: sleep until a call comes; after, check often
            Runnable r = grpc.polling() ? queue.poll(5, TimeUnit.MILLISECONDS) : queue.take();
            if (r != null && r != WAKE) {
                GrpcCall<?, ?> c = (GrpcCall<?, ?>) r;
                forking = namePrefix + c.number();
                if (s.isCancelled() || s.fork(c).state() == Subtask.State.CANCELLED) {
                    c.reject(); // a fork into a cancelled scope never runs
                }
            }
            grpc.maybeGoAway();
            if (forced || s.isCancelled() || grpc.drained()) {
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
                ((GrpcCall<?, ?>) r).reject();
            }
        }
        if (cancelled) {
            grpc.awaitAnswered(500); // let the cancelled handlers answer CANCELLED, briefly
        }
        grpc.stopServer(!cancelled);
    }
}
