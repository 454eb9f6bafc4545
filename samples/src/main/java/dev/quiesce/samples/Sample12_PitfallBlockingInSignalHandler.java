package dev.quiesce.samples;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Sample 12, pitfall: doing the cleanup inside the signal handler or a JVM shutdown hook.
 *
 * <p>The tempting way to "handle SIGTERM" in Java is {@code Runtime.getRuntime().addShutdownHook(...)}
 * with the whole cleanup inside: flush, close, and, because the exit code after SIGTERM is 143 and the
 * dashboards want 0, {@code System.exit(0)} at the end. That last call never returns: {@code System.exit}
 * starts the JVM's shutdown and waits for it, and the shutdown is already running; it is waiting for the
 * hooks, including the one that called {@code System.exit}. The thread blocks on the lock of
 * {@code java.lang.Shutdown} forever ({@link Runtime#exit} says so: "if shutdown hooks are being run this
 * method will block indefinitely"), and the process hangs until the orchestrator's SIGKILL, after the
 * whole {@code terminationGracePeriodSeconds}, with exit code 137. The same happens with any hook that
 * blocks: one that waits for a request to finish on a thread pool the JVM is already tearing down, one that
 * joins a thread that is itself waiting for the exit, one that takes a lock the main thread holds. Hooks
 * also run all at once, in no order, while the application's threads keep running; there is no place in
 * them for "stop accepting, then drain, then close the pool". A {@code sun.misc.Signal} handler that
 * does the work itself is worse: it runs at an arbitrary moment on a thread of the JVM's signal dispatcher,
 * and while it blocks, a second SIGTERM has nobody to handle it.
 *
 * <p>{@code wrong()} runs exactly that hook in a child JVM (so that this sample cannot hang), sends it
 * SIGTERM, and watches: the hook prints that it calls {@code System.exit(0)}, a diagnostic thread in the
 * child shows the hook thread {@code BLOCKED} in {@code java.lang.Shutdown.exit}, and 2 s later the child
 * is still alive. The sample then kills it with SIGKILL, as Kubernetes would.
 *
 * <p>{@code right()} runs the Quiesce way in a child JVM: the signal handler only notifies (it queues the
 * signal's name), a coordinator thread runs the ordered sequence, the cleanup is a registered hook that
 * runs in the CLEANUP phase on its own thread with a timeout, and the exit code comes from the report.
 * Even the instinct that broke the wrong variant is harmless here: {@link Shutdown#exit(int)} called from
 * inside a hook only records the code and returns at once. The child exits 0 within a second.
 *
 * <p>The orchestrator's SIGTERM is simulated with {@code kill -TERM <child pid>}, standing in for
 * {@code kubectl delete pod}.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample12_PitfallBlockingInSignalHandler
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: child started; sending it SIGTERM
 *   wrong child: hook: cleaning up in the JVM shutdown hook
 *   wrong child: hook: calling System.exit(0) to get exit code 0
 *   wrong child: diagnostic: the hook thread is BLOCKED in java.lang.Shutdown.exit, called by System.exit, ...
 * wrong: still alive 2 s after SIGTERM: System.exit inside a shutdown hook waits for itself
 * wrong: killed with SIGKILL, as Kubernetes does when terminationGracePeriodSeconds runs out; exit code 137
 * right: child started; sending it SIGTERM
 *   right child: cleanup: flushing state in the CLEANUP phase, on thread quiesce-cleanup-state
 *   right child: cleanup: shutdown.exit(0) from inside a hook returned at once
 *   right child: report: outcome CLEAN, exit code 0
 * right: exited by itself with exit code 0
 * verdict: wrong hangs until SIGKILL (exit 137); right runs the ordered sequence and exits 0
 * </pre>
 * Standard error shows the right child's Quiesce log.
 */
public final class Sample12_PitfallBlockingInSignalHandler {
    private Sample12_PitfallBlockingInSignalHandler() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("wrong-child")) {
            wrongChild();
            return;
        }
        if (args.length > 0 && args[0].equals("right-child")) {
            rightChild();
            return;
        }
        int wrongExit = wrong();
        int rightExit = right();
        say("verdict: " + (wrongExit == 137 && rightExit == 0
                ? "wrong hangs until SIGKILL (exit 137); right runs the ordered sequence and exits 0"
                : "unexpected: wrong exited " + wrongExit + ", right exited " + rightExit));
    }

    // ------------------------------------------------------------------ wrong

    /** Starts the wrong child, sends SIGTERM, and sees it hang. Returns its exit code (137 after SIGKILL). */
    static int wrong() throws Exception {
        try (var child = Child.start("wrong-child", "wrong")) {
            child.awaitLine("READY");
            say("wrong: child started; sending it SIGTERM");
            child.signal("TERM");
            child.awaitLine("diagnostic:");
            if (!child.process.waitFor(2, TimeUnit.SECONDS)) {
                say("wrong: still alive 2 s after SIGTERM: System.exit inside a shutdown hook waits for itself");
                child.process.destroyForcibly(); // SIGKILL
                int code = child.process.waitFor();
                say("wrong: killed with SIGKILL, as Kubernetes does when terminationGracePeriodSeconds runs out; "
                        + "exit code " + code);
                return code;
            }
            say("wrong: exited by itself (unexpected) with exit code " + child.process.exitValue());
            return child.process.exitValue();
        }
    }

    /** The child of the wrong variant: all the work, and System.exit, in a JVM shutdown hook. */
    static void wrongChild() throws InterruptedException {
        var hookStarted = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            hookStarted.countDown();
            say("hook: cleaning up in the JVM shutdown hook");
            say("hook: calling System.exit(0) to get exit code 0");
            System.exit(0); // blocks forever: the JVM is already shutting down, waiting for this hook
            say("hook: never printed");
        }, "cleanup-hook");
        Runtime.getRuntime().addShutdownHook(hook);

        // Only for the demonstration: report where the hook is stuck (threads keep running during shutdown).
        Thread.ofPlatform().daemon(true).name("diagnostic").start(() -> {
            try {
                hookStarted.await();
                for (;;) { // state and stack are read at slightly different moments: wait until both agree
                    StackTraceElement[] stack = hook.getStackTrace();
                    if (stack.length > 0 && stack[0].getClassName().equals("java.lang.Shutdown")
                            && stack[0].getMethodName().equals("exit") && hook.getState() == Thread.State.BLOCKED) {
                        say("diagnostic: the hook thread is BLOCKED in java.lang.Shutdown.exit, called by "
                                + "System.exit, waiting for the shutdown that is waiting for it");
                        return;
                    }
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        say("READY");
        Thread.sleep(Duration.ofMinutes(1)); // the service's main thread, serving
    }

    // ------------------------------------------------------------------ right

    /** Starts the right child, sends SIGTERM, and waits for it to exit by itself. Returns its exit code. */
    static int right() throws Exception {
        try (var child = Child.start("right-child", "right")) {
            child.awaitLine("READY");
            say("right: child started; sending it SIGTERM");
            child.signal("TERM");
            if (!child.process.waitFor(20, TimeUnit.SECONDS)) {
                child.process.destroyForcibly();
                say("right: did not exit (unexpected); killed");
                return child.process.waitFor();
            }
            child.drain();
            say("right: exited by itself with exit code " + child.process.exitValue());
            return child.process.exitValue();
        }
    }

    /** The child of the right variant: a notify-only handler, and the cleanup in the ordered sequence. */
    static void rightChild() throws InterruptedException {
        Shutdown shutdown = Shutdown.builder()
                .name("sample12")
                .platformBudget(Duration.ofSeconds(10))
                .margin(Duration.ofSeconds(1))
                .gracePeriod(Duration.ofSeconds(1))
                .cancelGrace(Duration.ofMillis(300))
                .persistBudget(Duration.ofSeconds(1))
                .cleanupBudget(Duration.ofSeconds(1))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void reported(ShutdownReport report) {
                        say("report: outcome " + report.outcome() + ", exit code " + report.exitCode());
                    }
                })
                .start(); // ExitPolicy.EXIT: Quiesce calls System.exit itself, once, after the report
        shutdown.onCleanup("state", () -> {
            say("cleanup: flushing state in the CLEANUP phase, on thread " + Thread.currentThread().getName());
            shutdown.exit(0); // records the exit code; never blocks, even from inside a hook
            say("cleanup: shutdown.exit(0) from inside a hook returned at once");
        });
        shutdown.markReady();
        say("READY");
        shutdown.awaitTermination();
    }

    // ------------------------------------------------------------------ a child JVM

    /** This class run in a child JVM, its output forwarded line by line with a prefix. */
    private static final class Child implements AutoCloseable {
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Thread pump;

        private Child(Process process, String label) {
            this.process = process;
            this.pump = Thread.ofPlatform().daemon(true).start(() -> {
                try (var r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (!line.equals("READY")) {
                            say("  " + label + " child: " + line);
                        }
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the child is gone
                }
            });
        }

        static Child start(String mode, String label) throws IOException {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            var pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                    Sample12_PitfallBlockingInSignalHandler.class.getName(), mode));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            return new Child(pb.start(), label);
        }

        /** Waits (at most 30 s) for a line starting with {@code prefix}. */
        void awaitLine(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (;;) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) {
                    return;
                }
                if (System.nanoTime() > deadline || (l == null && !process.isAlive() && lines.isEmpty())) {
                    throw new IllegalStateException("the child did not print '" + prefix + "'");
                }
            }
        }

        void signal(String name) throws IOException, InterruptedException {
            // stands in for kubectl delete pod
            new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        }

        /** Waits until everything the exited child printed has been forwarded. */
        void drain() throws InterruptedException {
            pump.join(TimeUnit.SECONDS.toMillis(5));
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
