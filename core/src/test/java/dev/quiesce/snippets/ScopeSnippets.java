package dev.quiesce.snippets;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Shield;
import dev.quiesce.Subtask;
import dev.quiesce.shutdown.InFlightTracker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The code examples of the scope engine's Javadoc ({@code {@snippet class=dev.quiesce.snippets.ScopeSnippets
 * region=...}}): each region is compiled here and run by {@link SnippetsTest}. The stand-ins for a
 * service's own code (fetchUser, store, handle, ...) are at the bottom.
 */
final class ScopeSnippets {
    private ScopeSnippets() {}

    /** {@code Scope}'s class documentation. */
    static String fetchBoth() throws InterruptedException {
        // @start region="scope"
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(),
                cfg -> cfg.withName("fetch").withTimeout(Duration.ofSeconds(2)))) {
            Subtask<String> user = scope.fork(() -> fetchUser());
            Subtask<String> order = scope.fork(() -> fetchOrder());
            scope.join();                      // first failure cancels the other, then throws
            return user.get() + order.get();
        }                                      // close(): waits for every thread, bounded
        // @end
    }

    /** {@code ScopeConfig}'s class documentation. */
    static void serve(Request request) throws InterruptedException {
        // @start region="scope-config"
        try (var scope = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("http").withTimeout(Duration.ofSeconds(5)))) {
            scope.fork(() -> handle(request)); // runs in /http, cancelled at the 5 s deadline
            scope.join();
        }
        // @end
    }

    /** {@code Shield}'s class documentation: a consumer that saves what it has when it is cancelled. */
    static void consume(BlockingQueue<String> queue, Store store) throws Exception {
        try {
            for (;;) {
                store.add(queue.take());
            }
        // @start region="shield"
        } catch (InterruptedException e) {          // cancelled: save what we have, then stop
            Shield.run(Duration.ofSeconds(2), () -> store.flush());
            throw e;
        }
        // @end
    }

    /** {@code InFlightTracker}'s class documentation. (The ticket is only closed: javac's lint "try" says so.) */
    @SuppressWarnings("try")
    static void serve(InFlightTracker tracker, Request request) {
        // @start region="in-flight-tracker"
        try (var ticket = tracker.enter()) {
            handle(request);
        }
        // @end
    }

    // ------------------------------------------------------------------ stand-ins

    static String fetchUser() {
        return "user-7 ";
    }

    static String fetchOrder() {
        return "order-9";
    }

    /** A request and what its handler saw. */
    static final class Request {
        final List<String> seen = new CopyOnWriteArrayList<>();
        final InFlightTracker tracker;

        Request(InFlightTracker tracker) {
            this.tracker = tracker;
        }
    }

    static void handle(Request request) {
        request.seen.add("scope " + Scope.find().map(Scope::path).orElse("none")
                + ", deadline " + Scope.find().flatMap(Scope::deadline).isPresent()
                + (request.tracker == null ? "" : ", in flight " + request.tracker.inFlight()));
    }

    /** A buffer of items saved by {@link #flush()}. */
    static final class Store {
        final List<String> items = new CopyOnWriteArrayList<>();
        final List<String> flushed = new CopyOnWriteArrayList<>();
        volatile boolean interruptedDuringFlush;

        void add(String item) {
            items.add(item);
        }

        void flush() {
            interruptedDuringFlush = Thread.currentThread().isInterrupted();
            flushed.addAll(items);
        }
    }
}
