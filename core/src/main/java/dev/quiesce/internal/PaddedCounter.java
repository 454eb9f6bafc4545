package dev.quiesce.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An atomic int alone on its cache line: a scope's count of running subtasks. The owner increments it on
 * every fork while the subtasks it has started read the scope's cancel reason as they begin to run; as
 * a plain {@code AtomicInteger}, allocated right after the scope object (and moved next to it again by
 * the collector), the count shared a cache line with that reason, so each fork invalidated the line the
 * tasks on the other carrier had just read (measured: docs/benchmarks/results.md, fork cost). The value
 * is the middle element of an {@code int} array of 32 (128 bytes), so at least 64 bytes of the same
 * array lie on each side of it, wherever the collector puts the array. The methods are those of
 * {@code AtomicInteger} that the scope uses.
 */
final class PaddedCounter {
    private static final int LENGTH = 32;
    private static final int INDEX = LENGTH / 2;
    private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int[] cells = new int[LENGTH];

    /** The current value (volatile read). */
    int get() {
        return (int) CELLS.getVolatile(cells, INDEX);
    }

    /** Atomically adds one; the new value. */
    int incrementAndGet() {
        return (int) CELLS.getAndAdd(cells, INDEX, 1) + 1;
    }

    /** Atomically subtracts one; the new value. */
    int decrementAndGet() {
        return (int) CELLS.getAndAdd(cells, INDEX, -1) - 1;
    }
}
