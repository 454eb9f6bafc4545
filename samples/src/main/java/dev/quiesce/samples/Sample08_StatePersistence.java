package dev.quiesce.samples;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.AtomicFiles;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sample 08: saving in-memory state on shutdown, atomically, within the budget the shutdown gives.
 *
 * <p>State that lives in memory (a consumer's offset, a batch not yet flushed, a cache worth keeping
 * warm) is lost on exit unless it is written somewhere. The shutdown's PERSIST phase runs after the work
 * has drained and been cancelled, so the state no longer changes, and before the resources close. Each
 * state hook registered with {@link Shutdown#onPersist} runs on its own thread, outside the cancelled
 * tree, and is told its budget: the least of its own timeout, what is left of the persist budget, and
 * what is left of the whole shutdown. A hook that overruns is interrupted, abandoned and reported as
 * {@code TIMED_OUT}; the cleanup still runs.
 *
 * <p>How the file is written matters as much as when. {@code wrong()} uses what most code uses,
 * {@link Files#writeString}: it opens the existing file with {@code TRUNCATE_EXISTING} and writes into
 * it. From the truncation until the last byte is on disk the file holds neither the old state nor the new
 * one. If the process dies in that window (SIGKILL at the end of the grace period, OOM killer, node lost)
 * the next start finds a torn file: the old state is gone and the new one is half there. The sample
 * re-enacts that exact moment deterministically, without killing anything: it writes the new content the
 * same way and stops halfway, which is what the disk holds if the process dies there.
 *
 * <p>{@code right()} uses {@link AtomicFiles}: the bytes go to a temporary file in the same directory,
 * which is forced to disk, then atomically renamed over the target, then the directory is forced. At
 * every instant the target is either the complete old file or the complete new one; a crash before the
 * rename leaves the old state (and a temporary file the next write removes), a crash after it the new
 * state. The sample shows it by rewriting the file 50 times while a reader reads it continuously: every
 * read sees a whole version. (Quiesce's own tests SIGKILL a writer in a loop and check the same thing:
 * {@code ShutdownProcessTest} in core.)
 *
 * <p>Finally a shutdown with two state hooks shows the budgets: {@code orders} gets the persist budget
 * (1000 ms), {@code cursor} was registered with a timeout of its own (300 ms) and gets that.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample08_StatePersistence [directory]
 * </pre>
 * The files go to a new temporary directory unless one is given.
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: the process died halfway through Files.writeString
 * wrong: the file now holds 20 of 41 bytes, no END marker: torn, the old state is lost too
 * right: 50 atomic rewrites while a reader read the file 50+ times: 0 torn reads
 * right: the file holds a whole version: orders=1,2,3,4,5,6,7 END
 * persist: PERSIST phase started, after the work drained
 * persist: hook orders was given 999 ms, within the 1000 ms persist budget: true
 * persist: hook cursor was given 300 ms, within its own 300 ms timeout: true
 * persist: hook orders OK
 * persist: hook cursor OK
 * persist: orders.state = orders=42,43,44 END
 * persist: cursor.state = cursor=44 END
 * verdict: wrong leaves a torn file when the process dies mid-write; right leaves the old or the new state, never a mix
 * </pre>
 */
public final class Sample08_StatePersistence {
    private Sample08_StatePersistence() {}

    static final String OLD = "orders=1,2,3,4,5,6,7 END\n";
    static final String NEW = "orders=1,2,3,4,5,6,7,8,9,10,11,12,13 END\n";

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Files.createDirectories(Path.of(args[0]))
                : Files.createTempDirectory("quiesce-sample08");
        boolean wrongTorn = wrong(dir.resolve("wrong.state"));
        boolean rightWhole = right(dir.resolve("right.state"));
        persistOnShutdown(dir);
        say("verdict: " + (wrongTorn && rightWhole
                ? "wrong leaves a torn file when the process dies mid-write; right leaves the old or the new "
                        + "state, never a mix"
                : "unexpected: wrong torn=" + wrongTorn + ", right whole=" + rightWhole));
    }

    /** Files.writeString truncates, then writes: the process "dies" halfway. Returns whether the file is torn. */
    static boolean wrong(Path file) throws IOException {
        Files.writeString(file, OLD); // the state saved by the previous shutdown
        byte[] next = NEW.getBytes(StandardCharsets.UTF_8);
        // The same opening as Files.writeString(file, NEW): CREATE, TRUNCATE_EXISTING, WRITE.
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(next, 0, next.length / 2);
            out.flush();
            say("wrong: the process died halfway through Files.writeString");
            // ... and nothing after this point runs in a process that died here.
        }
        String found = Files.readString(file);
        boolean torn = !isWhole(found);
        say("wrong: the file now holds " + found.length() + " of " + NEW.length() + " bytes, "
                + (torn ? "no END marker: torn, the old state is lost too" : "whole"));
        return torn;
    }

    /** AtomicFiles, 50 rewrites, a concurrent reader. Returns whether every read saw a whole version. */
    static boolean right(Path file) throws Exception {
        AtomicFiles.writeString(file, OLD);
        var torn = new AtomicInteger();
        var reads = new AtomicInteger();
        var writing = new AtomicBoolean(true);
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("atomic"))) {
            scope.fork(() -> {
                // reads continuously while the writer works, then once more after it
                while (writing.get() || reads.get() < 50) {
                    String s = Files.readString(file);
                    reads.incrementAndGet();
                    if (!isWhole(s)) {
                        torn.incrementAndGet();
                    }
                }
                return null;
            });
            scope.fork(() -> {
                try {
                    for (int i = 0; i < 50; i++) {
                        AtomicFiles.writeString(file, i % 2 == 0 ? NEW : OLD);
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            scope.join();
        }
        say("right: 50 atomic rewrites while a reader read the file " + (reads.get() >= 50 ? "50+" : reads.get())
                + " times: " + torn.get() + " torn reads");
        String found = Files.readString(file);
        say("right: the file holds a whole version: " + found.strip());
        return torn.get() == 0 && isWhole(found);
    }

    /** A shutdown with two state hooks; each prints the budget it was given and writes atomically. */
    static void persistOnShutdown(Path dir) throws Exception {
        Path orders = dir.resolve("orders.state");
        Path cursor = dir.resolve("cursor.state");
        Shutdown shutdown = Shutdown.builder()
                .name("sample08")
                .platformBudget(Duration.ofSeconds(10))
                .margin(Duration.ofSeconds(1))
                .gracePeriod(Duration.ofSeconds(1))
                .cancelGrace(Duration.ofMillis(200))
                .persistBudget(Duration.ofSeconds(1))
                .cleanupBudget(Duration.ofMillis(500))
                .signals() // started with initiate() below
                .exitPolicy(Shutdown.ExitPolicy.RETURN)
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.PERSIST) {
                            say("persist: PERSIST phase started, after the work drained");
                        }
                    }
                })
                .start();
        var pending = new StringBuilder("42,43,44"); // in-memory state, final once the work has drained
        shutdown.onPersist("orders", budget -> {
            say("persist: hook orders was given " + budget.toMillis() + " ms, within the 1000 ms persist budget: "
                    + (budget.compareTo(Duration.ofSeconds(1)) <= 0 && !budget.isZero()));
            AtomicFiles.writeString(orders, "orders=" + pending + " END\n");
        });
        shutdown.onPersist("cursor", budget -> {
            say("persist: hook cursor was given " + budget.toMillis() + " ms, within its own 300 ms timeout: "
                    + (budget.compareTo(Duration.ofMillis(300)) <= 0 && !budget.isZero()));
            AtomicFiles.writeString(cursor, "cursor=44 END\n");
        }, Duration.ofMillis(300));
        shutdown.markReady();
        shutdown.initiate("sample 08: end of the demo");
        ShutdownReport report = shutdown.awaitTermination();
        for (ShutdownReport.HookOutcome h : report.hooks()) {
            say("persist: hook " + h.name() + " " + h.status());
        }
        say("persist: orders.state = " + read(orders));
        say("persist: cursor.state = " + read(cursor));
    }

    private static boolean isWhole(String s) {
        return s.equals(OLD) || s.equals(NEW);
    }

    private static String read(Path p) throws IOException {
        try {
            return Files.readString(p).strip();
        } catch (NoSuchFileException e) {
            return "(missing)";
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
