package dev.quiesce.snippets;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.AtomicFiles;
import dev.quiesce.shutdown.Shutdown;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The code examples of {@code Shutdown}'s Javadoc, compiled here and run by {@link SnippetsTest}. The class
 * documentation's example is a whole service: {@link #main} runs it in a child JVM, which the test sends a
 * real SIGTERM (a shutdown started in the test's own JVM would install signal handlers there and exit it).
 */
final class ShutdownSnippets {
    private ShutdownSnippets() {}

    /** The class documentation's example. Argument: the state file. Prints WORKING once the worker runs. */
    public static void main(String[] args) throws Exception {
        Path stateFile = Path.of(args[0]);
        State state = new State(42);
        AutoCloseable pool = () -> System.out.println("CLOSED db-pool");
        // @start region="shutdown"
        var shutdown = Shutdown.builder()
                .platformBudget(Duration.ofSeconds(30))     // terminationGracePeriodSeconds
                .preDrainDelay(Duration.ofSeconds(5))       // let the load balancer see "not ready"
                .gracePeriod(Duration.ofSeconds(12))        // 5 + 1 + 12 + 2 + 4 + 4 (defaults) = 28 s = 30 s - 2 s margin
                .start();
        shutdown.onCleanup("db-pool", pool);                // closed last-registered-first
        shutdown.onPersist("state", remaining -> AtomicFiles.writeString(stateFile, state.toJson()));
        shutdown.fork("worker", () -> { while (!Scope.stopRequested()) work(); });
        shutdown.markReady();
        shutdown.awaitTermination();                        // the process exits when the sequence ends
        // @end
    }

    /** {@code Shutdown.awaitStopRequested}: a periodic job whose interval the drain cuts short. */
    static void periodic(Shutdown shutdown) {
        // @start region="await-stop-requested"
        shutdown.fork("worker", () -> {
            while (!Scope.stopRequested()) {
                tick();
                shutdown.awaitStopRequested(Duration.ofSeconds(1)); // the tick interval, cut short by the drain
            }
        });
        // @end
    }

    // ------------------------------------------------------------------ stand-ins

    private static final AtomicBoolean WORKING = new AtomicBoolean();
    /** How often {@link #tick()} ran. */
    static final AtomicInteger TICKS = new AtomicInteger();

    /** One unit of a service's work (10 ms of it); says WORKING the first time. */
    static void work() throws InterruptedException {
        if (WORKING.compareAndSet(false, true)) {
            System.out.println("WORKING");
        }
        Thread.sleep(Duration.ofMillis(10));
    }

    static void tick() {
        TICKS.incrementAndGet();
    }

    record State(int orders) {
        String toJson() {
            return "{\"orders\":" + orders + "}";
        }
    }
}
