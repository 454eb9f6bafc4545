package dev.quiesce.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo jar run as a user would run it ({@code java -jar quiesce-demo.jar ...}), its output collected; or
 * another command a test runs beside it (a load tool: {@link #command}).
 */
final class DemoProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://127\\.0\\.0\\.1:(\\d+))");

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private DemoProcess(Process process) {
        this.process = process;
        this.reader = Thread.ofPlatform().daemon(true).start(() -> {
            try (var r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
    }

    static DemoProcess start(String... args) throws IOException {
        return startJar(DemoIT.demoJar(), args);
    }

    /** Runs {@code java -jar jar args} (another demo's jar: the Spring demo's), collecting its output. */
    static DemoProcess startJar(Path jar, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(DemoIT.java(), "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return new DemoProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** Starts a demo process with these arguments: {@link #start}, or another demo's jar. */
    interface Launcher {
        DemoProcess start(String... args) throws IOException;
    }

    /** The process's id. */
    long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    boolean isAlive() {
        return process.isAlive();
    }

    /** Runs {@code cmd} (its error output merged into its output), collecting its output as the demo's is. */
    static DemoProcess command(List<String> cmd) throws IOException {
        return new DemoProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /**
     * Waits (bounded by the test timeout) for a line that starts with {@code prefix} and returns it; fails if the
     * process exits first.
     */
    String awaitLine(String prefix) throws InterruptedException {
        for (;;) {
            for (String l : lines) {
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
            if (!process.isAlive()) {
                reader.join();
                return lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(
                        "exited with " + process.exitValue() + " before printing '" + prefix + "...':\n" + output()));
            }
            Thread.sleep(5);
        }
    }

    /** Waits (bounded by the test timeout) for the listening line and returns the base URI. */
    URI awaitListening() throws InterruptedException {
        for (;;) {
            for (String l : lines) {
                Matcher m = LISTENING.matcher(l);
                if (m.find()) {
                    return URI.create(m.group(1));
                }
            }
            if (!process.isAlive()) {
                throw new AssertionError("demo exited with " + process.exitValue() + " before listening:\n" + output());
            }
            Thread.sleep(5);
        }
    }

    void signal(String name) throws IOException, InterruptedException {
        int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (rc != 0) {
            throw new AssertionError("kill -" + name + " failed");
        }
    }

    int waitFor() throws InterruptedException {
        int rc = process.waitFor();
        reader.join();
        return rc;
    }

    String output() {
        return String.join("\n", lines);
    }

    static Path stateFile(Path dir) {
        return dir.resolve("state.json");
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
