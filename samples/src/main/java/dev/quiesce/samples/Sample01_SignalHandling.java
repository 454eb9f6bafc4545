package dev.quiesce.samples;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Sample 01: catching SIGTERM and SIGINT, and doing nothing in the handler but notify.
 *
 * <p>When Kubernetes (or systemd, or Docker) stops a process it sends SIGTERM, waits
 * {@code terminationGracePeriodSeconds}, then sends SIGKILL. Without a handler the JVM reacts to SIGTERM by
 * running its shutdown hooks, all at once and in no order, while every other thread keeps running, and
 * then exits with code 143. A graceful shutdown needs more: stop taking work, finish what is in flight,
 * save state, close resources in order, then exit 0.
 *
 * <p>{@link Shutdown#builder()} installs handlers for SIGTERM, SIGINT (Ctrl-C) and SIGHUP. The handler
 * runs on a thread of the JVM's signal dispatcher, at an arbitrary moment, and it <em>only notifies</em>:
 * it puts the signal's name on a queue and returns. A dispatcher thread takes it from there and wakes the
 * shutdown's coordinator thread ({@code quiesce-shutdown}), which runs the ordered sequence of
 * {@link Phase phases}. The same sequence can be started by {@link Shutdown#initiate(String)}, by a
 * failed service, or by the JVM's own shutdown hook where signals cannot be handled. A second SIGTERM
 * cuts the grace period short; a third dumps the threads and halts. Sample 12 shows what goes wrong when
 * the handler (or a JVM shutdown hook) does the work itself.
 *
 * <p>Here the process sends SIGTERM to itself the way an orchestrator would:
 * {@code kill -TERM <own pid>} stands in for {@code kubectl delete pod}. The one service, a worker loop,
 * notices the soft stop ({@link Scope#stopRequested()}) during the DRAIN phase, finishes its unit of work
 * and returns; then the cleanup runs, the report is printed, and the process exits with the report's
 * exit code, 0.
 *
 * <p>SIGINT: a process started in the background by a non-interactive shell ({@code cmd &} in a script)
 * inherits SIGINT as <em>ignored</em>, and the JVM keeps it ignored; {@link Shutdown#signalHandling()}
 * then says {@code INT=IGNORED_BY_PROCESS} and Quiesce logs a warning. Run it in the foreground and Ctrl-C
 * works like SIGTERM.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample01_SignalHandling
 * </pre>
 *
 * <h2>What you should see</h2>
 * On standard output: {@code signal handling: {HUP=HANDLED, INT=HANDLED, TERM=HANDLED}}, the line
 * {@code sending SIGTERM to myself}, then one {@code phase ... on thread quiesce-shutdown} line per phase
 * from TRIGGER to REPORT (never on the signal handler's thread), {@code worker: stop requested ...} during
 * DRAIN, {@code cleanup: connection closed} during CLEANUP, the report ({@code shutdown report: signal
 * SIGTERM (SIGNAL), outcome CLEAN, exit code 0 ...}) and last {@code exiting with code 0}; the process
 * exits 0. Quiesce's own log lines go to standard error.
 */
public final class Sample01_SignalHandling {
    private Sample01_SignalHandling() {}

    public static void main(String[] args) throws Exception {
        Shutdown shutdown = Shutdown.builder()
                .name("sample01")
                // Short budgets so that the sample ends at once; a real service keeps the defaults
                // (30 s platform budget = terminationGracePeriodSeconds, 15 s grace).
                .platformBudget(Duration.ofSeconds(10))
                .margin(Duration.ofSeconds(1))
                .gracePeriod(Duration.ofSeconds(3))
                .cancelGrace(Duration.ofMillis(500))
                .persistBudget(Duration.ofSeconds(1))
                .cleanupBudget(Duration.ofSeconds(1))
                // RETURN: awaitTermination() hands the report to main, which decides; the default, EXIT,
                // calls System.exit(report.exitCode()) itself right after the report.
                .exitPolicy(Shutdown.ExitPolicy.RETURN)
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase != Phase.EXIT) {
                            say("phase " + phase + " on thread " + Thread.currentThread().getName());
                        }
                    }
                })
                .start();
        say("signal handling: " + shutdown.signalHandling());

        var working = new CountDownLatch(1);
        shutdown.fork("worker", () -> {
            working.countDown();
            while (!Scope.stopRequested()) { // the soft stop of the DRAIN phase
                Thread.sleep(10); // one unit of work
            }
            say("worker: stop requested, finished the current unit and returned (thread "
                    + Thread.currentThread().getName() + ")");
        });
        shutdown.onCleanup("connection", () -> say("cleanup: connection closed"));
        shutdown.markReady();
        working.await();

        long pid = ProcessHandle.current().pid();
        say("ready; sending SIGTERM to myself (pid " + pid + "), as kubectl delete pod would");
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -TERM " + pid + " failed");
        }

        // main just waits: the handler has only queued "TERM"; the coordinator thread runs the sequence.
        ShutdownReport report = shutdown.awaitTermination();
        System.out.print(report.toText());
        say("exiting with code " + report.exitCode());
        System.exit(report.exitCode());
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
