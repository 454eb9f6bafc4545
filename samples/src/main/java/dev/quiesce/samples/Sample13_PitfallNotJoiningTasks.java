package dev.quiesce.samples;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sample 13, pitfall: starting tasks and not joining them. The JVM exits and takes them with it.
 *
 * <p>Virtual threads are always daemon threads: the JVM does not wait for them. When the last non-daemon
 * thread ends (typically {@code main} returning, or {@code System.exit} after a shutdown), every virtual
 * thread still running simply stops existing, in the middle of whatever it was doing: no
 * {@code finally}, no interrupt, no log line. "Fire and forget" work (an audit record written
 * asynchronously, an order confirmation sent "in the background", a cache write-back) is lost at every
 * deploy, silently. The same holds for work submitted to an executor that nobody shuts down and awaits.
 *
 * <p>{@code wrong()} runs, in a child JVM, a {@code main} that starts three order writers with
 * {@code Thread.ofVirtual().start(...)} and returns. Each writer needs 300 to 500 ms; the JVM is gone long
 * before: 0 of 3 orders are saved.
 *
 * <p>{@code right()} runs the same writers forked into a {@link Scope}: the scope owns them, {@code join()}
 * waits for all of them, and {@code close()} never lets one outlive it (it cancels and waits, bounded, and
 * reports the ones that do not stop). 3 of 3 orders are saved. In a service, fork long-lived work into the
 * {@link dev.quiesce.shutdown.Shutdown} ({@code shutdown.fork(...)}): its DRAIN phase waits for the services
 * to return before anything is closed (sample 05). {@code Executors.newVirtualThreadPerTaskExecutor()}
 * in try-with-resources also waits, but without a bound and without a way to cancel from outside.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample13_PitfallNotJoiningTasks
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 *   wrong child: main: started 3 order writers with Thread.ofVirtual().start; returning
 * wrong: 0 of 3 orders saved: the JVM exited when main returned and the virtual threads died with it
 *   right child: main: forked 3 order writers into scope /orders; joining
 *   right child: order 1 saved      (then 2 and 3)
 *   right child: main: every writer joined; returning
 * right: 3 of 3 orders saved
 * verdict: fire-and-forget loses work at exit; a scope that is joined loses none
 * </pre>
 */
public final class Sample13_PitfallNotJoiningTasks {
    private Sample13_PitfallNotJoiningTasks() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("wrong-child")) {
            wrongChild();
            return;
        }
        if (args.length > 0 && args[0].equals("right-child")) {
            rightChild();
            return;
        }
        int wrongSaved = runChild("wrong");
        say("wrong: " + wrongSaved + " of 3 orders saved: the JVM exited when main returned and the virtual "
                + "threads died with it");
        int rightSaved = runChild("right");
        say("right: " + rightSaved + " of 3 orders saved");
        say("verdict: " + (wrongSaved < 3 && rightSaved == 3
                ? "fire-and-forget loses work at exit; a scope that is joined loses none"
                : "unexpected: wrong saved " + wrongSaved + ", right saved " + rightSaved));
    }

    /** Fire and forget: main returns while the writers are still working. */
    static void wrongChild() {
        for (int i = 1; i <= 3; i++) {
            int id = i;
            Thread.ofVirtual().start(() -> writeOrder(id));
        }
        say("main: started 3 order writers with Thread.ofVirtual().start; returning");
    } // the last non-daemon thread ends here: the JVM exits and the writers vanish mid-work

    /** The writers forked into a scope and joined. */
    static void rightChild() throws InterruptedException {
        try (var orders = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withName("orders"))) {
            for (int i = 1; i <= 3; i++) {
                int id = i;
                orders.fork(() -> writeOrder(id));
            }
            say("main: forked 3 order writers into scope " + orders.path() + "; joining");
            orders.join();
        }
        say("main: every writer joined; returning");
    }

    /** Writes one order: takes a few hundred milliseconds, then confirms. */
    private static void writeOrder(int id) {
        try {
            Thread.sleep(Duration.ofMillis(200 + 100L * id)); // talking to the database
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        say("order " + id + " saved");
    }

    /** Runs this class in a child JVM in the given mode, forwards its output, and counts saved orders. */
    static int runChild(String mode) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                Sample13_PitfallNotJoiningTasks.class.getName(), mode + "-child"))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes(); // ends when the child exits
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the " + mode + " child did not exit");
            }
        } finally {
            p.destroyForcibly();
        }
        List<String> lines = new String(out, StandardCharsets.UTF_8).lines().toList();
        lines.forEach(l -> say("  " + mode + " child: " + l));
        return (int) lines.stream().filter(l -> l.matches("order \\d saved")).count();
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
