package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.internal.EngineScope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's requests in the shutdown's scope tree, for an adapter: a service of the shutdown ({@link #serve()},
 * run with {@link Shutdown#fork}) that owns one scope and forks one virtual thread per request into it, named
 * {@code <scope path>/<prefix>N}. A server's own threads are not in the scope, and with the API only the owner and
 * threads inside a scope may fork (as with the JDK's {@code StructuredTaskScope}); {@link #submit} forks each
 * request from the server's thread all the same, as Quiesce's own HTTP adapter does, through the engine's
 * any-thread fork: no hand-over to the owner, so a request costs one virtual thread start, not also a wake-up of
 * the owner's thread. The owner only keeps the scope open and ends the service.
 *
 * <p>The service ends when the server has stopped: once {@code drained} holds, or at once after a cancel (the
 * shutdown's CANCEL phase interrupts it, or {@link #force} wakes it), when the cancelled handlers have had half a
 * second to answer. A request handed over when no thread can be had is {@linkplain Work#reject() rejected} (the
 * adapter answers 503 / {@code UNAVAILABLE}), never dropped.
 *
 * <p>Thread-safe.
 *
 * @param <W> the adapter's request
 */
public final class HandoffScope<W extends HandoffScope.Work> {
    private static final Logger LOG = LoggerFactory.getLogger(HandoffScope.class);
    /** Wakes the owner to re-check the drain. */
    private static final Object WAKE = new Object();

    /** A request handed over: run in its own thread of the scope, or rejected. */
    public interface Work extends Runnable {
        /** Answers the request without its handler (503, {@code UNAVAILABLE}): the server is shutting down. */
        void reject();
    }

    /** How the server stops, once: {@code graceful} when the drain completed, otherwise after a cancel. */
    @FunctionalInterface
    public interface Stop {
        /** Stops the server. */
        void stop(boolean graceful);
    }

    private final String name;
    private final InFlightTracker work;
    private final BooleanSupplier polling;
    private final BooleanSupplier drained;
    private final Stop stop;
    /** Wake-ups of the owner (no work goes through it: requests are forked by the server's threads). */
    private final LinkedBlockingQueue<Object> wakeUps = new LinkedBlockingQueue<>();
    /** Submitters between their check of {@link #closed} and the end of their fork: the owner waits them out. */
    private final AtomicInteger submitting = new AtomicInteger();
    private final CountDownLatch opened = new CountDownLatch(1);
    private final AtomicLong seq = new AtomicLong();
    private final ThreadFactory threads;
    private volatile String namePrefix;
    private volatile EngineScope<Object, Void> scope;
    /** No more forks: new requests are rejected. */
    private volatile boolean closed;
    private volatile boolean forced;

    /**
     * A scope named {@code name} whose threads are {@code <path>/<threadPrefix>N}.
     *
     * @param name the scope's name (e.g. {@code http})
     * @param threadPrefix the threads' prefix (e.g. {@code req-})
     * @param work the requests in flight, waited for (half a second at most) after a cancel
     * @param polling whether the owner should wake often (something may be due: the drain's end) rather than
     *     sleep until a request comes; called by the owner
     * @param drained whether the drain is over; called by the owner at each wake-up once {@code polling} holds
     * @param stop stops the server; called once, by the owner, when the service ends
     */
    public HandoffScope(String name, String threadPrefix, InFlightTracker work, BooleanSupplier polling,
            BooleanSupplier drained, Stop stop) {
        this.name = Objects.requireNonNull(name, "name");
        this.work = Objects.requireNonNull(work, "work");
        this.polling = Objects.requireNonNull(polling, "polling");
        this.drained = Objects.requireNonNull(drained, "drained");
        this.stop = Objects.requireNonNull(stop, "stop");
        this.namePrefix = name + "/" + threadPrefix;
        String prefix = threadPrefix;
        // made here, at start, not after the trigger
        this.threads = r -> Thread.ofVirtual().name((scope == null ? name + "/" + prefix : namePrefix)
                + seq.incrementAndGet()).unstarted(r);
    }

    /**
     * Runs {@link #serve()} as the service {@code serviceName} of {@code shutdown}, and returns once its scope is
     * open (requests may be submitted then).
     *
     * @param shutdown the shutdown
     * @param serviceName the service's name
     * @param what the server, for error messages (e.g. {@code "the Jetty server"})
     * @throws IllegalStateException if the shutdown began meanwhile (the server must not start), or the thread was
     *     interrupted while it waited (its flag is restored)
     */
    public void start(Shutdown shutdown, String serviceName, String what) {
        var service = shutdown.fork(serviceName, this::serve);
        boolean opened;
        try {
            opened = awaitOpened(service);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what + " was starting", e);
        }
        if (!opened) {
            throw new IllegalStateException("the shutdown started while " + what + " was starting: the server is"
                    + " not started; stop the start-up when Shutdown.isShuttingDown() is true");
        }
    }

    /** Waits until the scope is open; false if the service ended first (the shutdown began meanwhile). */
    private boolean awaitOpened(Subtask<?> service) throws InterruptedException {
        while (!opened.await(10, TimeUnit.MILLISECONDS)) {
            if (service.state() != Subtask.State.UNAVAILABLE) {
                return false;
            }
        }
        return true;
    }

    /**
     * From the server's threads: runs {@code w} in a thread of its own in the scope, or rejects it if it cannot (the
     * scope is cancelled or closing). Never blocks.
     */
    public void submit(W w) {
        submitting.incrementAndGet(); // before reading closed: the owner closes, then waits for submitting == 0
        try {
            EngineScope<Object, Void> s = scope;
            if (closed || s == null) {
                w.reject();
                return;
            }
            Subtask<Object> forked;
            try {
                forked = s.forkService(null, new Forked(w));
            } catch (IllegalStateException | java.util.concurrent.RejectedExecutionException noThread) {
                w.reject(); // the scope closes, or no thread could be made: answered, not dropped
                return;
            }
            if (forked.state() == Subtask.State.CANCELLED) {
                w.reject(); // a fork into a cancelled scope never runs
            }
        } finally {
            submitting.decrementAndGet();
        }
    }

    /** A request as the scope's task: run, or rejected if the scope was cancelled before its thread started. */
    private record Forked(Work w) implements EngineScope.ServiceTask<Object> {
        @Override
        public Object call() {
            w.run();
            return null;
        }

        @Override
        public void notRun() {
            w.reject();
        }
    }

    /** Wakes the owner, to re-check whether the drain is over or the server was forced closed. */
    public void wake() {
        wakeUps.add(WAKE);
    }

    /** Asks the requests running to stop soon, without interrupting them ({@link Scope#stopRequested()}). */
    public void requestStop() {
        Scope<Object, Void> s = scope;
        if (s != null) {
            s.requestStop();
        }
    }

    /** Cancels the requests still running (their handlers are interrupted) and ends the service. */
    public void force(String why) {
        forced = true;
        Scope<Object, Void> s = scope;
        if (s != null) { // a no-op when the shutdown's cancel reached the scope first: its reason stands
            s.cancel(CancelReason.explicit(why));
        }
        wake();
    }

    /**
     * The service's body: owns the scope, forks the requests, stops the server when they are done.
     *
     * @throws InterruptedException if the shutdown's CANCEL phase interrupted it (the server is stopped first)
     */
    public void serve() throws InterruptedException {
        try (Scope<Object, Void> s = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName(name).withThreadFactory(threads))) {
            namePrefix = s.path() + namePrefix.substring(name.length());
            scope = (EngineScope<Object, Void>) s; // every scope is one: see EngineScope
            opened.countDown();
            try {
                awaitDrained(s);
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

    private void awaitDrained(Scope<Object, Void> s) throws InterruptedException {
        for (;;) {
            if (forced || s.isCancelled() || (polling.getAsBoolean() && drained.getAsBoolean())) {
                return;
            }
            if (polling.getAsBoolean()) {
                wakeUps.poll(5, TimeUnit.MILLISECONDS);
            } else {
                wakeUps.take();
            }
        }
    }

    /** Joins a scope that may have been cancelled (force(), the CANCEL phase): the service ended as asked. */
    private static void joinCancelled(Scope<Object, Void> s) {
        try {
            s.join();
        } catch (CancelledException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean stopped;

    private void closeAndStop(boolean cancelled) {
        closed = true;
        while (submitting.get() != 0) { // a fork that read closed before it was set ends first (a few microseconds)
            Thread.onSpinWait();
        }
        if (stopped) { // the owner's own flag: only the owner calls this
            return;
        }
        stopped = true;
        if (cancelled) {
            work.awaitIdleUninterruptibly(Duration.ofMillis(500)); // let the cancelled handlers answer, briefly
        }
        stop.stop(!cancelled);
    }

    /**
     * Returns once each address refuses a new connection (a listener may close asynchronously, and a connection
     * taken meanwhile would be closed unanswered), at most {@code bound} in all: an address that still accepts
     * then is logged, not waited for. An interrupt ends the wait (its flag restored).
     *
     * @param addresses where the server listened (a wildcard address as loopback)
     * @param bound the longest wait
     */
    public static void awaitRefused(List<InetSocketAddress> addresses, Duration bound) {
        long giveUp = System.nanoTime() + bound.toNanos();
        for (InetSocketAddress a : addresses) {
            int attempt = 0;
            while (connects(a)) {
                if (System.nanoTime() - giveUp >= 0) {
                    LOG.warn("{} still accepts connections after its listener was closed", a);
                    break;
                }
                try {
                    Thread.sleep(Math.min(50, 1L << Math.min(attempt++, 6)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the budget share is over: report what is known
                    return;
                }
            }
        }
    }

    private static boolean connects(InetSocketAddress a) {
        try (var probe = new java.net.Socket(java.net.Proxy.NO_PROXY)) {
            probe.connect(a, 100);
            return true;
        } catch (IOException refusedOrUnreachable) {
            return false;
        }
    }
}
