package dev.quiesce.samples;

import java.time.Duration;

/**
 * The baseline of the shutdown end-to-end benchmark ({@code dev.quiesce.benchmarks.ShutdownEndToEnd}): a
 * JVM started from the demo's jar that only waits, with no Quiesce and no server. SIGTERM ends it the
 * JVM's default way (no shutdown hooks of its own, exit code 143), so the time from SIGTERM to its exit
 * is what the JVM itself costs to exit.
 *
 * <p>How to run: {@code java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.DemoBaseline}.
 *
 * <p>What you should see: {@code waiting (baseline: no Quiesce, no server), pid N}; {@code kill -TERM N}
 * ends it with exit code 143.
 */
public final class DemoBaseline {
    private DemoBaseline() {}

    public static void main(String[] args) throws InterruptedException {
        System.out.println("waiting (baseline: no Quiesce, no server), pid " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Duration.ofDays(1)); // SIGTERM ends the JVM
    }
}
