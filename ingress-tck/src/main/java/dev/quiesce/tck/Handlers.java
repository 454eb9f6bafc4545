package dev.quiesce.tck;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the service under test does: the kit's two request handlers, which an adapter's
 * {@link IngressFactory} wires into its server's routes (or RPC methods). Each method is called on the
 * thread that serves the request; the adapter answers success with the returned body. When
 * {@link #slow()} throws {@link InterruptedException} (the request was cancelled), the adapter answers as it
 * answers any cancelled request (HTTP 503, gRPC UNAVAILABLE or CANCELLED).
 *
 * <p>Thread-safe.
 */
public final class Handlers {
    private final AtomicInteger slowEntered = new AtomicInteger();
    private final AtomicInteger slowInterrupted = new AtomicInteger();
    private final AtomicInteger quickServed = new AtomicInteger();
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

    int slowEntered() {
        return slowEntered.get();
    }

    int slowInterrupted() {
        return slowInterrupted.get();
    }

    /** Lets {@code n} slow requests (running or to come) return. */
    void release(int n) {
        releases.release(n);
    }
}
