package dev.quiesce.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where the test kit's leak check ({@code dev.quiesce.test.QuiesceLeakCheck}) sees what the public API cannot
 * show: {@code InFlightTracker} tickets entered and not yet closed. Off unless the kit is watching; then each
 * ticket entered is recorded with the stack that entered it, until it is closed or forgotten.
 *
 * <p>When off, the cost on the tracker's hot path is one volatile read (a plain load on x86) per enter and per
 * close. Preloaded by the shutdown's warm-up, as a ticket may be closed after the trigger. Thread-safe.
 */
public final class LeakProbe {
    private LeakProbe() {}

    private static final ReentrantLock WATCHERS = new ReentrantLock();
    private static int watchers; // under WATCHERS
    private static volatile Map<Object, OpenTicket> open; // null while nobody watches

    /**
     * A ticket entered and not closed while the probe was on.
     *
     * @param ticket the ticket
     * @param tracker the tracker's description at the moment of entry
     * @param thread the name of the thread that entered it
     * @param scopePath the path of the scope that thread ran in, or {@code ""} if none
     * @param enteredAt the stack that entered it
     */
    public record OpenTicket(Object ticket, String tracker, String thread, String scopePath,
            StackTraceElement[] enteredAt) {}

    /** Starts recording tickets (watches nest: recording stops when the last watcher {@link #stop()}s). */
    public static void start() {
        WATCHERS.lock();
        try {
            if (watchers++ == 0) {
                open = new ConcurrentHashMap<>();
            }
        } finally {
            WATCHERS.unlock();
        }
    }

    /** Ends one {@link #start()}. */
    public static void stop() {
        WATCHERS.lock();
        try {
            if (watchers > 0 && --watchers == 0) {
                open = null;
            }
        } finally {
            WATCHERS.unlock();
        }
    }

    /** The tickets entered since recording started and not closed yet; empty while off. */
    public static List<OpenTicket> openTickets() {
        Map<Object, OpenTicket> m = open;
        return m == null ? List.of() : List.copyOf(m.values());
    }

    /** {@code ticket} of {@code tracker} was entered. */
    public static void entered(Object ticket, Object tracker) {
        Map<Object, OpenTicket> m = open;
        if (m != null) {
            var scope = CurrentScope.currentOrNull();
            m.put(ticket, new OpenTicket(ticket, String.valueOf(tracker), Thread.currentThread().getName(),
                    scope == null ? "" : scope.path(), new Throwable().getStackTrace()));
        }
    }

    /** {@code ticket} was closed or forgotten. */
    public static void released(Object ticket) {
        Map<Object, OpenTicket> m = open;
        if (m != null) {
            m.remove(ticket);
        }
    }
}
