package dev.quiesce.samples;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.AtomicFiles;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sample 05: the whole pipeline, from SIGTERM to exit code 0, with a report at the end.
 *
 * <p>A small service, wired the way a real one is:
 * <ul>
 *   <li>resources acquired at start and registered for cleanup in that order: a database pool, then an
 *       HTTP client ({@link Shutdown#onCleanup});
 *   <li>two services forked into the shutdown's root scope ({@link Shutdown#fork}): {@code http}, an
 *       accept loop that forks one task per request into its child scope {@code /shop/http/requests} and
 *       counts each one with the {@linkplain Shutdown#inFlight() in-flight tracker}; and {@code consumer},
 *       a queue consumer that finishes its current job and returns when asked to stop;
 *   <li>a stop-accepting listener that closes the accept side ({@link Shutdown#onStopAccepting});
 *   <li>a state hook that saves the service's state atomically ({@link Shutdown#onPersist},
 *       {@link AtomicFiles});
 *   <li>readiness, which a readiness probe would serve, printed on every change.
 * </ul>
 *
 * <p>Three slow requests (1.5 s each) are in flight when SIGTERM arrives. The sequence then runs:
 * TRIGGER → READINESS (readiness DRAINING, then a pre-drain delay so that load balancers stop sending
 * traffic) → STOP_ACCEPTING (the accept loop closes) → DRAIN (soft stop: the consumer returns; the three
 * requests finish; the http service joins them and returns) → CANCEL (nothing left to cancel) → ABANDON
 * (no stragglers) → PERSIST (the state file is written atomically, within the budget the hook is told)
 * → CLEANUP (HTTP client, then pool: reverse order) → REPORT → EXIT with code 0. No request is lost.
 *
 * <p>The process sends SIGTERM to itself, standing in for {@code kubectl delete pod}, and uses the
 * default exit policy, {@link Shutdown.ExitPolicy#EXIT}: Quiesce calls {@code System.exit} with the
 * report's exit code once the report is made. Every budget is short so that the sample ends in about two
 * seconds; a real service keeps budgets that fit its {@code terminationGracePeriodSeconds} (sample 15).
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample05_FullOrchestration [state-file]
 * </pre>
 * The state file defaults to a new temporary directory.
 *
 * <h2>What you should see</h2>
 * {@code readiness: SERVING}, three {@code request rN started}, {@code sending SIGTERM to myself}, then
 * {@code [phase] TRIGGER} ... {@code [phase] REPORT}, each with its note ({@code DRAIN ended: drained: 3
 * requests completed, services returned}); {@code readiness: DRAINING}, {@code listener: stopped
 * accepting}, {@code consumer: stop requested ...}, three {@code request rN completed},
 * {@code http: stopped accepting, 3 requests joined}, {@code persist: budget ... ms}, {@code cleanup:
 * http-client closed} before {@code cleanup: db-pool closed}; the report ({@code outcome CLEAN, exit code
 * 0}, {@code requests: 3 in flight at trigger, 3 drained, 0 cancelled}); {@code state file:
 * requests.completed=3 ...}; {@code exiting with code 0} and {@code [phase] EXIT}. The process exits 0.
 */
public final class Sample05_FullOrchestration {
    private Sample05_FullOrchestration() {}

    private record Request(String id, Duration takes, InFlightTracker.Ticket ticket) {}

    public static void main(String[] args) throws Exception {
        Path stateFile = args.length > 0 ? Path.of(args[0])
                : Files.createTempDirectory("quiesce-sample05").resolve("state.properties");

        Shutdown shutdown = Shutdown.builder()
                .name("shop")
                .platformBudget(Duration.ofSeconds(12)) // terminationGracePeriodSeconds
                .margin(Duration.ofSeconds(1))
                .preDrainDelay(Duration.ofMillis(200)) // behind a real load balancer: seconds
                .stopAcceptingBudget(Duration.ofMillis(500))
                .gracePeriod(Duration.ofSeconds(5)) // longer than the slowest request (sample 15)
                .cancelGrace(Duration.ofMillis(500))
                .persistBudget(Duration.ofSeconds(2))
                .cleanupBudget(Duration.ofSeconds(2))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        say("[phase] " + phase);
                    }

                    @Override
                    public void ended(ShutdownReport.PhaseTiming t) {
                        say("[phase] " + t.phase() + " ended: " + t.note());
                    }

                    @Override
                    public void reported(ShutdownReport report) {
                        System.out.print(report.toText());
                        try {
                            say("state file: " + Files.readString(stateFile).strip().replace('\n', ' '));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        say("exiting with code " + report.exitCode()); // EXIT policy: Quiesce exits now
                    }
                })
                .start();
        shutdown.readiness().onChange(s -> say("readiness: " + s));

        // Resources, registered in the order they are acquired; closed in reverse.
        shutdown.onCleanup("db-pool", () -> say("cleanup: db-pool closed"));
        shutdown.onCleanup("http-client", () -> say("cleanup: http-client closed"));

        // The http service: an accept loop; one task per request in the child scope /shop/http/requests.
        InFlightTracker inFlight = shutdown.inFlight();
        BlockingQueue<Request> incoming = new LinkedBlockingQueue<>(); // stands in for the listen socket
        var accepting = new AtomicBoolean(true);
        var completed = new AtomicLong();
        var started = new CountDownLatch(3);
        shutdown.onStopAccepting("listener", () -> {
            accepting.set(false);
            say("listener: stopped accepting");
        });
        shutdown.fork("http", () -> {
            try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("requests"))) {
                long accepted = 0;
                while (accepting.get()) {
                    Request r = incoming.poll(10, TimeUnit.MILLISECONDS);
                    if (r != null) {
                        accepted++;
                        requests.fork(() -> {
                            try (var _ = r.ticket()) { // the ticket: the request counts until it is answered
                                say("request " + r.id() + " started");
                                started.countDown();
                                Thread.sleep(r.takes());
                                completed.incrementAndGet();
                                say("request " + r.id() + " completed");
                            }
                            return null;
                        });
                    }
                }
                requests.join(); // finish what was accepted before the listener closed
                say("http: stopped accepting, " + accepted + " requests joined");
            }
        });

        // The consumer service: finishes the job in hand when asked to stop.
        var jobs = new AtomicLong();
        shutdown.fork("consumer", () -> {
            while (!Scope.stopRequested()) {
                Thread.sleep(20); // one job
                jobs.incrementAndGet();
            }
            say("consumer: stop requested, finished its job in hand and returned");
        });

        // State, saved in the PERSIST phase, after the work has drained.
        shutdown.onPersist("state", budget -> {
            say("persist: budget " + budget.toMillis() + " ms (at most the 2000 ms persist budget)");
            AtomicFiles.writeString(stateFile, "requests.completed=" + completed.get() + "\njobs.offset="
                    + jobs.get() + "\n");
        });

        shutdown.markReady();
        for (int i = 1; i <= 3; i++) {
            incoming.add(new Request("r" + i, Duration.ofMillis(1500), inFlight.enter()));
        }
        started.await();

        long pid = ProcessHandle.current().pid();
        say("sending SIGTERM to myself (pid " + pid + "), as kubectl delete pod would, with "
                + inFlight.inFlight() + " requests in flight");
        new ProcessBuilder("kill", "-TERM", Long.toString(pid)).inheritIO().start().waitFor();

        shutdown.awaitTermination(); // the process exits from the shutdown's thread when the sequence ends
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
