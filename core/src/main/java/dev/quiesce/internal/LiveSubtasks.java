package dev.quiesce.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The subtasks of one scope whose threads have not finished, in fork order: a linked list of chunks of
 * slots. It replaces a concurrent hash set, whose inserts, resizes and removals were most of what a
 * fork, a task's exit and a cancellation cost (see docs/benchmarks/README.md).
 *
 * <ul>
 *   <li>{@link #add}: one atomic increment of the tail chunk's reservation counter and one slot write.
 *       A full tail chunk gets a successor under {@link #lock}, once per chunk (chunks double from 8 to
 *       1 024 slots), so the lock is taken about once per thousand forks and never by a task's exit.
 *   <li>{@link #remove}: one slot write and one atomic increment of the chunk's done counter. A chunk
 *       whose every slot has been used and cleared is unlinked (under the lock), so a scope that forks
 *       forever, such as a server's request scope, holds only what still runs. A walker that is inside an
 *       unlinked chunk goes on through its {@code next}, which still points forward.
 *   <li>{@link #interruptUnclaimed}: a cancellation walks the slots in order. Each chunk has a claim
 *       cursor shared by every walker of the cancellation: a walker takes the next {@link #CLAIM} slots
 *       with one atomic add, so the canceller and the owners that help it (see {@link TreeCancellation})
 *       share even one large chunk and every slot is claimed exactly once; a thread that walks the whole
 *       list claims whatever nobody else did, so the cancellation never depends on a helper running, and
 *       {@link #interruptUnfinished} covers the claims whose walker has not finished them.
 * </ul>
 *
 * <p>Fork and cancel race like Dekker's algorithm: a fork writes its slot (volatile) and then reads the
 * scope's cancel reason; a cancellation writes the reason and then reads reservation counters and slots.
 * Either the fork sees the reason (and does not start the thread) or the walk sees the slot.
 */
final class LiveSubtasks {
    static final int FIRST_CHUNK = 8;
    static final int MAX_CHUNK = 1024;
    /** Slots one claim of a cancellation walk takes: a large chunk is shared between walkers in runs this long. */
    static final int CLAIM = 64;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(SubtaskImpl[].class);
    private static final VarHandle RESERVED;
    private static final VarHandle DONE;
    private static final VarHandle CURSOR;
    private static final VarHandle SWEPT;

    static {
        try {
            var lookup = MethodHandles.lookup();
            RESERVED = lookup.findVarHandle(Chunk.class, "reserved", int.class);
            DONE = lookup.findVarHandle(Chunk.class, "done", int.class);
            CURSOR = lookup.findVarHandle(Chunk.class, "cursor", int.class);
            SWEPT = lookup.findVarHandle(Chunk.class, "swept", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A run of slots; a subtask keeps a reference to its chunk and its index in it. */
    static final class Chunk {
        final SubtaskImpl<?>[] slots;
        volatile int reserved; // slots handed out; may pass slots.length by the number of racing forks
        volatile int done; // slots cleared; the chunk is retired when it reaches slots.length
        volatile int cursor; // the next slot a cancellation walk claims; may pass slots.length by a claim per walker
        volatile int swept; // slots whose claim has been walked to its end: all of them once it is slots.length
        volatile Chunk next;
        Chunk prev; // guarded by the lock
        boolean unlinked; // guarded by the lock

        Chunk(int size) {
            slots = new SubtaskImpl<?>[size];
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private volatile Chunk head;
    private volatile Chunk tail;

    LiveSubtasks() {
        this(FIRST_CHUNK);
    }

    /** With a first chunk of {@code firstChunk} slots (for tests: one chunk that holds several claims). */
    LiveSubtasks(int firstChunk) {
        Chunk c = new Chunk(firstChunk);
        head = c;
        tail = c;
    }

    /** Adds a subtask and records its place in it; callable from any thread. */
    void add(SubtaskImpl<?> s) {
        for (;;) {
            Chunk c = tail;
            int i = (int) RESERVED.getAndAdd(c, 1);
            if (i < c.slots.length) {
                s.chunk = c;
                s.slot = i;
                SLOTS.setVolatile(c.slots, i, s);
                return;
            }
            grow(c);
        }
    }

    private void grow(Chunk full) {
        lock.lock();
        try {
            if (tail != full) {
                return; // another fork appended a chunk first
            }
            Chunk n = new Chunk(Math.min(full.slots.length * 2, MAX_CHUNK));
            n.prev = full;
            full.next = n;
            tail = n;
            if (full.done == full.slots.length) {
                unlinkLocked(full); // it was retired while it was the tail, which is never unlinked
            }
        } finally {
            lock.unlock();
        }
    }

    /** Removes a subtask added by {@link #add}; called once per added subtask, by any thread. */
    void remove(SubtaskImpl<?> s) {
        Chunk c = s.chunk;
        s.chunk = null; // a finished subtask someone keeps must not keep the chunk (and the chunks it links to)
        SLOTS.setRelease(c.slots, s.slot, null);
        if ((int) DONE.getAndAdd(c, 1) + 1 == c.slots.length) {
            lock.lock();
            try {
                if (c != tail && !c.unlinked) {
                    unlinkLocked(c);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void unlinkLocked(Chunk c) {
        c.unlinked = true;
        Chunk p = c.prev;
        Chunk n = c.next; // not null: the tail is never unlinked
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        n.prev = p;
        c.prev = null; // walkers only go forward; an unlinked chunk keeps nothing behind it
    }

    /**
     * For a cancellation: claims, {@link #CLAIM} slots at a time from each chunk's shared cursor, every slot no
     * other walker has claimed, and interrupts the subtasks in them. Call only after the scope's cancel reason
     * is published.
     *
     * @return the number of subtasks this call interrupted
     */
    int interruptUnclaimed(long cancelNanos) {
        int n = 0;
        for (Chunk c = head; c != null; c = c.next) {
            int size = c.slots.length;
            while (c.cursor < size) {
                int from = (int) CURSOR.getAndAdd(c, CLAIM);
                if (from >= size) {
                    break;
                }
                int to = Math.min(from + CLAIM, size);
                n += interruptRange(c, from, to, cancelNanos);
                SWEPT.getAndAdd(c, to - from);
            }
        }
        return n;
    }

    /**
     * For the canceller, after {@link #interruptUnclaimed}: interrupts the subtasks of every chunk in which a
     * claim has not been walked to its end (a helper that stalled must not stall the cancellation). A subtask
     * is interrupted once whoever gets to it, so going over a chunk twice costs a read per slot.
     *
     * @return the number of subtasks this call interrupted
     */
    int interruptUnfinished(long cancelNanos) {
        int n = 0;
        for (Chunk c = head; c != null; c = c.next) {
            if (c.swept < c.slots.length) {
                n += interruptRange(c, 0, c.slots.length, cancelNanos);
            }
        }
        return n;
    }

    private static int interruptRange(Chunk c, int from, int to, long cancelNanos) {
        int n = 0;
        SubtaskImpl<?>[] slots = c.slots;
        int r = Math.min(c.reserved, to); // a slot reserved later belongs to a fork that sees the reason
        for (int i = from; i < r; i++) {
            SubtaskImpl<?> s = (SubtaskImpl<?>) SLOTS.getVolatile(slots, i);
            if (s != null && s.interruptForCancel(cancelNanos)) {
                n++;
            }
        }
        return n;
    }

    /** Calls {@code action} for every subtask present during the walk (a weakly consistent view). */
    void forEach(Consumer<SubtaskImpl<?>> action) {
        for (Chunk c = head; c != null; c = c.next) {
            SubtaskImpl<?>[] slots = c.slots;
            int r = Math.min(c.reserved, slots.length);
            for (int i = 0; i < r; i++) {
                SubtaskImpl<?> s = (SubtaskImpl<?>) SLOTS.getAcquire(slots, i);
                if (s != null) {
                    action.accept(s);
                }
            }
        }
    }

    /** The number of chunks linked now (for tests: a scope that forks forever must not grow). */
    int chunkCount() {
        int n = 0;
        for (Chunk c = head; c != null; c = c.next) {
            n++;
        }
        return n;
    }
}
