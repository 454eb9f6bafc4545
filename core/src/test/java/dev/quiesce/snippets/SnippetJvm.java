package dev.quiesce.snippets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A snippet's {@code main} in a child JVM (as a service runs), its output line by line, real signals to it. */
final class SnippetJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final Thread errReader;
    private volatile String stderr = "";

    private SnippetJvm(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon(true).start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    pending.add(line);
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        this.errReader = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException ignored) {
                // process gone
            }
        });
    }

    /**
     * Starts {@code java -cp <test class path> main args}, with the default disposition for the signals
     * (a build run under nohup or as a background job would otherwise pass an ignored SIGHUP/SIGINT on).
     */
    static SnippetJvm start(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=HUP,INT,TERM"));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new SnippetJvm(new ProcessBuilder(cmd).start());
    }

    /** Waits for a line starting with {@code prefix} (bounded by the test's timeout) and returns it. */
    String awaitLine(String prefix) throws InterruptedException {
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                return l;
            }
        }
        for (;;) {
            String l = pending.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
            if (l == null && !process.isAlive()) {
                for (String rest : lines) {
                    if (rest.startsWith(prefix)) {
                        return rest;
                    }
                }
                errReader.join();
                throw new AssertionError("the snippet exited with " + process.exitValue() + " before printing '"
                        + prefix + "'; output:\n" + output() + "\nstderr:\n" + stderr);
            }
        }
    }

    void sigterm() throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -TERM " + process.pid() + " failed");
        }
    }

    /** Waits for the exit (bounded by the test's timeout) and returns the exit code. */
    int waitFor() throws InterruptedException {
        int code = process.waitFor();
        errReader.join();
        return code;
    }

    String output() {
        return String.join("\n", lines);
    }

    String describe() {
        return "output:\n" + output() + "\nstderr:\n" + stderr;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
