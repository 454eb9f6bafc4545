package dev.quiesce.jcstress;

import dev.quiesce.Subtask;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded waits for the tests: subtask threads are real threads, so an actor or arbiter that needs one of
 * them waits for it, but never without a bound (a hang would stall the whole jcstress run; a bound that
 * passes shows as an outcome, or as a test error with this message).
 */
public final class Harness {
    /** How long an actor waits for another actor's (or a subtask's) published value before giving up. */
    public static final long WAIT_NANOS = 10_000_000_000L;

    private Harness() {}

    /** Spins (then parks briefly) until {@code value} returns non-null; throws after {@link #WAIT_NANOS}. */
    public static <V> V awaitValue(Supplier<V> value, String what) {
        V v = value.get();
        if (v != null) {
            return v;
        }
        long start = System.nanoTime();
        for (int i = 0; ; i++) {
            v = value.get();
            if (v != null) {
                return v;
            }
            backOff(i, start, what);
        }
    }

    /** Like {@link #awaitValue} for a condition; returns whether it became true within {@code nanos}. */
    public static boolean awaitTrue(BooleanSupplier condition, long nanos) {
        long start = System.nanoTime();
        for (int i = 0; !condition.getAsBoolean(); i++) {
            if (System.nanoTime() - start > nanos) {
                return false;
            }
            pause(i);
        }
        return true;
    }

    /** Waits until the subtask's state is final; returns the state seen at the bound otherwise. */
    public static Subtask.State awaitFinal(Subtask<?> s, long nanos) {
        awaitTrue(() -> s.state() != Subtask.State.UNAVAILABLE, nanos);
        return s.state();
    }

    /** A short code for a subtask state in a result: 0 UNAVAILABLE, 1 SUCCESS, 2 FAILED, 3 CANCELLED. */
    public static int code(Subtask.State s) {
        return s.ordinal();
    }

    private static void backOff(int i, long start, String what) {
        if (System.nanoTime() - start > WAIT_NANOS) {
            throw new IllegalStateException("waited " + WAIT_NANOS / 1_000_000 + " ms for " + what
                    + ": the actor that publishes it did not run (machine overloaded?)");
        }
        pause(i);
    }

    private static void pause(int i) {
        if (i < 10_000) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(50_000);
        }
    }
}
