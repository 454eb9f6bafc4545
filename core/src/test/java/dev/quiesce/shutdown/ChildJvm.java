package dev.quiesce.shutdown;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A child JVM running {@link ShutdownFixture}, its output collected line by line, and real signals to it. */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private volatile String stderr = "";
    private final Thread errReader;

    private ChildJvm(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon(true).start(() -> pump(new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))));
        this.errReader = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException ignored) {
                // process gone
            }
        });
    }

    private void pump(BufferedReader r) {
        try {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                pending.add(line);
            }
        } catch (IOException ignored) {
            // process gone
        }
    }

    /**
     * Starts {@code ShutdownFixture scenario stateFile}; {@code prefix} goes before {@code java} (e.g. env).
     * The child starts with the default disposition for the signals the tests send: a build run under
     * {@code nohup} (SIGHUP ignored) or as a background job of a script (SIGINT ignored) would otherwise
     * pass that on, and the JVM keeps an inherited ignore, so the test would wait for a handler that
     * never runs. Tests that want an ignored signal set it in {@code prefix}, after this reset.
     */
    static ChildJvm start(String scenario, Path stateFile, List<String> prefix) throws IOException {
        // a third SIGTERM's JSON dumps go beside the state file (the test's temporary directory), not to /tmp
        return start(prefix, List.of("-Dquiesce.dump.dir=" + stateFile.toAbsolutePath().getParent()),
                ShutdownFixture.class, scenario, stateFile.toString());
    }

    /** Starts {@code main} with {@code jvmOptions} and {@code args}, as {@link #start(String, Path, List)} does. */
    static ChildJvm start(List<String> prefix, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=HUP,INT,TERM"));
        cmd.addAll(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(cmd).start());
    }

    static ChildJvm start(String scenario, Path stateFile) throws IOException {
        return start(scenario, stateFile, List.of());
    }

    long pid() {
        return process.pid();
    }

    /** Waits for a line matching {@code p} (bounded by the test's timeout) and returns it. */
    String await(Predicate<String> p) throws InterruptedException {
        for (String l : lines) {
            if (p.test(l)) {
                return l;
            }
        }
        for (;;) {
            String l = pending.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && p.test(l)) {
                return l;
            }
            if (l == null && !process.isAlive()) {
                // drain what is left, then give up with the output for diagnosis
                for (String rest : lines) {
                    if (p.test(rest)) {
                        return rest;
                    }
                }
                throw new AssertionError("child exited with " + process.exitValue()
                        + " before printing the expected line; output:\n" + String.join("\n", lines)
                        + "\nstderr:\n" + stderr());
            }
        }
    }

    String awaitPrefix(String prefix) throws InterruptedException {
        return await(l -> l.startsWith(prefix));
    }

    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + name + " " + pid() + " failed");
        }
    }

    /** Waits for the child to exit (bounded by the test's timeout) and returns its exit code. */
    int waitFor() throws InterruptedException {
        int code = process.waitFor();
        errReader.join();
        return code;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    String output() {
        return String.join("\n", lines);
    }

    /** The child's standard error, complete once it has exited. */
    String stderr() {
        return stderr;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
