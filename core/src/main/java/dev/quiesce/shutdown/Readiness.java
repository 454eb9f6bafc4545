package dev.quiesce.shutdown;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's readiness, as a load balancer or a Kubernetes readiness probe should see it:
 * {@code STARTING → SERVING → DRAINING → STOPPED}. Liveness is not part of it: a draining service is
 * alive. Transitions only move forward; any code can read the state, wait for one, or listen.
 *
 * <p>Thread-safe. Listeners run on the thread that makes the transition, in registration order; a
 * listener that throws is logged and does not stop the others.
 */
public final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    /** The readiness states, in the only order they can be entered. */
    public enum State {
        /** Not ready yet: the service is starting. */
        STARTING,
        /** Ready: the service accepts and serves requests. */
        SERVING,
        /** Shutting down: finishing in-flight work; should receive no new requests. */
        DRAINING,
        /** Done: nothing is served any more. */
        STOPPED
    }

    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final CopyOnWriteArrayList<Consumer<State>> listeners = new CopyOnWriteArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    /** Creates a readiness in {@link State#STARTING}. */
    public Readiness() {}

    /** The current state. */
    public State get() {
        return state.get();
    }

    /** Whether the service should receive new requests ({@link State#SERVING}). */
    public boolean isReady() {
        return state.get() == State.SERVING;
    }

    /**
     * Moves to {@code target} if it is later than the current state; an earlier or equal target is
     * ignored (a draining service never becomes ready again).
     *
     * @return whether the state changed
     */
    public boolean advanceTo(State target) {
        Objects.requireNonNull(target, "target");
        for (;;) {
            State cur = state.get();
            if (cur.compareTo(target) >= 0) {
                return false;
            }
            if (state.compareAndSet(cur, target)) {
                lock.lock();
                try {
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                for (Consumer<State> l : listeners) {
                    try {
                        l.accept(target);
                    } catch (RuntimeException e) {
                        LOG.warn("readiness listener threw on {}; the others still run", target, e);
                    }
                }
                return true;
            }
        }
    }

    /** Registers a listener called on every later transition. */
    public void onChange(Consumer<State> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Waits until the state is {@code target} or later.
     *
     * @return whether it got there before {@code timeout}
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean await(State target, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(timeout, "timeout");
        long nanos = dev.quiesce.internal.Timers.saturatedNanos(timeout);
        lock.lock();
        try {
            while (state.get().compareTo(target) < 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = ShutdownTime.awaitNanos(changed, nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits without a bound until the state is {@code target} or later. */
    public void await(State target) throws InterruptedException {
        Objects.requireNonNull(target, "target");
        lock.lock();
        try {
            while (state.get().compareTo(target) < 0) {
                ShutdownTime.awaitNanos(changed, TimeUnit.DAYS.toNanos(1));
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Readiness[" + state.get() + "]";
    }
}
