package dev.quiesce.samples;

import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Sample 04: releasing resources in reverse order of acquisition, each bounded by its own timeout, and
 * going on when one of them fails or hangs.
 *
 * <p>A service acquires its resources in dependency order: the database pool first, then the cache that
 * reads through it, the message broker client, the HTTP server that uses all three, and the metrics
 * exporter that watches everything. It must release them in the <em>reverse</em> order, so that nothing
 * is closed while something that still depends on it is running.
 *
 * <p>{@code wrong()} is the cleanup many services have: a straight line of {@code close()} calls in the
 * order the resources were created. The pool closes first, under a request the server is still serving
 * (it fails: "pool is closed"); the cache's {@code close()} throws, and everything after it, the broker,
 * the server and the metrics exporter, is never closed. Had the broker's {@code close()} hung, the
 * process would have hung with it until SIGKILL.
 *
 * <p>{@code right()} registers each resource with {@link Shutdown#onCleanup(String, AutoCloseable)} as it
 * is acquired. In the CLEANUP phase Quiesce closes them last-registered-first, each on its own thread and
 * bounded by its own timeout (here the broker gets 300 ms). The cache that throws is recorded as
 * {@code FAILED}, the broker that hangs (it ignores interrupts, as a stuck socket write does) is
 * interrupted and abandoned at its timeout and recorded as {@code TIMED_OUT}, and the resources after
 * them are still released. The {@link ShutdownReport} lists every hook's outcome.
 *
 * <p>Exit code: a shutdown whose hooks failed ends with outcome {@code HOOKS_FAILED}, exit code 3, so
 * that the platform (and whoever reads the pod's last state) sees that the shutdown was not clean. This
 * sample uses {@link Shutdown.ExitPolicy#RETURN}, prints the outcome and the exit code a service would
 * have exited with, and then exits 0 itself, because running it successfully is not a failure.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample04_ResourceCleanup
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: closing db-pool
 * wrong: a request still being served failed: pool is closed
 * wrong: closing cache
 * wrong: cleanup stopped at the first failure: java.lang.IllegalStateException: cache flush failed
 * wrong: released [db-pool], never closed [message-broker, http-server, metrics]
 *
 * right: CLEANUP phase started
 * right: closing metrics
 * right: closing http-server
 * right: closing message-broker (hangs)
 * right: closing cache
 * right: closing db-pool
 * right: released [metrics, http-server, db-pool]; message-broker TIMED_OUT, cache FAILED
 * </pre>
 * then the report, with every hook and its status ({@code hook CLEANUP message-broker: TIMED_OUT in 300 ms
 * (did not return within 300 ms; interrupted and abandoned)}, {@code hook CLEANUP cache: FAILED ...}),
 * {@code outcome HOOKS_FAILED: a service would exit with code 3 ...} and last {@code verdict: wrong leaks 3
 * resources and stops at the first failure; right releases every resource it can and reports the 2 it
 * could not}. The process exits 0; standard error has Quiesce's log, with the failed hooks as warnings.
 */
public final class Sample04_ResourceCleanup {
    private Sample04_ResourceCleanup() {}

    /** The resources, in the order the service acquires them. */
    static final List<String> ACQUIRED = List.of("db-pool", "cache", "message-broker", "http-server", "metrics");

    public static void main(String[] args) throws Exception {
        List<String> leaked = wrong();
        say("");
        ShutdownReport report = right();
        say("");
        say("verdict: wrong leaks " + leaked.size() + " resources and stops at the first failure; right "
                + "releases every resource it can and reports the "
                + report.hooks().stream().filter(h -> h.status() != ShutdownReport.HookStatus.OK).count()
                + " it could not");
    }

    /** Closes in acquisition order, stopping at the first exception. Returns the resources never closed. */
    static List<String> wrong() {
        var attempted = new ArrayList<String>();
        var released = new ArrayList<String>();
        var pool = new Pool();
        try {
            say("wrong: closing db-pool");
            attempted.add("db-pool");
            pool.close();
            released.add("db-pool");
            try {
                pool.query("select * from orders"); // the HTTP server is still serving this request
            } catch (IllegalStateException e) {
                say("wrong: a request still being served failed: " + e.getMessage());
            }
            say("wrong: closing cache");
            attempted.add("cache");
            closeCache();
            released.add("cache");
            say("wrong: closing message-broker"); // never reached, and would hang if it were
            attempted.add("message-broker");
            hangIgnoringInterrupts();
            released.add("message-broker");
            say("wrong: closing http-server");
            attempted.add("http-server");
            released.add("http-server");
            say("wrong: closing metrics");
            attempted.add("metrics");
            released.add("metrics");
        } catch (RuntimeException e) {
            say("wrong: cleanup stopped at the first failure: " + e);
        }
        List<String> never = ACQUIRED.stream().filter(r -> !attempted.contains(r)).toList();
        say("wrong: released " + released + ", never closed " + never);
        return never;
    }

    /** Registers each resource with the shutdown as it is acquired; the CLEANUP phase closes them in reverse. */
    static ShutdownReport right() throws InterruptedException {
        Shutdown shutdown = Shutdown.builder()
                .name("sample04")
                .platformBudget(Duration.ofSeconds(10))
                .margin(Duration.ofSeconds(1))
                .gracePeriod(Duration.ofSeconds(1))
                .cancelGrace(Duration.ofMillis(200))
                .persistBudget(Duration.ofMillis(500))
                .cleanupBudget(Duration.ofSeconds(2)) // the whole phase; each resource at most this
                .signals() // this sample starts the shutdown itself, with initiate()
                .exitPolicy(Shutdown.ExitPolicy.RETURN)
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.CLEANUP) {
                            say("right: CLEANUP phase started");
                        }
                    }
                })
                .start();

        var released = new CopyOnWriteArrayList<String>();
        // acquired in dependency order, registered as acquired
        var pool = new Pool();
        shutdown.onCleanup("db-pool", () -> {
            say("right: closing db-pool");
            pool.close();
            released.add("db-pool");
        });
        shutdown.onCleanup("cache", () -> {
            say("right: closing cache");
            closeCache();
            released.add("cache");
        });
        shutdown.onCleanup("message-broker", () -> {
            say("right: closing message-broker (hangs)");
            hangIgnoringInterrupts(); // a socket write that never completes
            released.add("message-broker");
        }, Duration.ofMillis(300));
        shutdown.onCleanup("http-server", () -> {
            say("right: closing http-server");
            released.add("http-server");
        });
        shutdown.onCleanup("metrics", () -> {
            say("right: closing metrics");
            released.add("metrics");
        });
        shutdown.markReady();

        shutdown.initiate("sample 04: end of the demo");
        ShutdownReport report = shutdown.awaitTermination();

        var failed = new ArrayList<String>();
        for (ShutdownReport.HookOutcome h : report.hooks()) {
            if (h.status() != ShutdownReport.HookStatus.OK) {
                failed.add(h.name() + " " + h.status());
            }
        }
        say("right: released " + released + "; " + String.join(", ", failed));
        System.out.print(report.toText());
        say("outcome " + report.outcome() + ": a service would exit with code " + report.exitCode()
                + " (this sample uses ExitPolicy.RETURN and exits 0)");
        return report;
    }

    private static void closeCache() {
        throw new IllegalStateException("cache flush failed");
    }

    /** Never returns; an interrupt does not stop it. Only the per-resource timeout gets the shutdown past it. */
    private static void hangIgnoringInterrupts() {
        for (;;) {
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException ignored) {
                // like a blocking socket write: the interrupt does not reach it
            }
        }
    }

    /** A stand-in for a connection pool. */
    private static final class Pool implements AutoCloseable {
        private volatile boolean closed;

        String query(String sql) {
            if (closed) {
                throw new IllegalStateException("pool is closed");
            }
            return "rows for " + sql;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
