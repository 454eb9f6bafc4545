package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One run of a sample as a user runs it: {@code java [flags] -cp quiesce-demo.jar <class> [args]} in a child
 * JVM, waited for with a bound, its standard output as lines and its standard error as text.
 *
 * @param exitCode the child's exit code
 * @param lines what it printed on standard output
 * @param stderr what it printed on standard error (Quiesce's log)
 */
record SampleRun(int exitCode, List<String> lines, String stderr) {

    /** How long a sample may take before the run is declared hung (each sample needs a few seconds). */
    static final long TIMEOUT_SECONDS = 60;

    static Path demoJar() {
        Path jar = Path.of(System.getProperty("quiesce.demo.jar", "target/quiesce-demo.jar"));
        assertThat(jar).as("the demo jar is built in the package phase").exists();
        return jar;
    }

    /** Runs {@code dev.quiesce.samples.<simpleName>} with {@code args}, without JVM flags. */
    static SampleRun run(String simpleName, String... args) throws IOException, InterruptedException {
        return runWith(List.of(), simpleName, args);
    }

    /** Runs {@code dev.quiesce.samples.<simpleName>} with the JVM flags {@code jvmFlags} and {@code args}. */
    static SampleRun runWith(List<String> jvmFlags, String simpleName, String... args)
            throws IOException, InterruptedException {
        List<String> launch = new ArrayList<>(jvmFlags);
        launch.addAll(List.of("-cp", demoJar().toString(), "dev.quiesce.samples." + simpleName));
        launch.addAll(List.of(args));
        return launch(simpleName, launch);
    }

    /**
     * Runs {@code java} with {@code launch} (JVM flags, then what to run, then its arguments) and waits for
     * it, up to {@link #TIMEOUT_SECONDS}; {@code name} names the run in a failure.
     */
    static SampleRun launch(String name, List<String> launch) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(launch);
        return exec(name, cmd, java.util.Map.of());
    }

    /**
     * Runs the command {@code cmd} with {@code env} added to this process's environment (a null value removes
     * the variable) and waits for it, up to {@link #TIMEOUT_SECONDS}; {@code name} names the run in a failure.
     */
    static SampleRun exec(String name, List<String> cmd, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        var builder = new ProcessBuilder(cmd);
        env.forEach((k, v) -> {
            if (v == null) {
                builder.environment().remove(k);
            } else {
                builder.environment().put(k, v);
            }
        });
        Process p = builder.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = readAsync(p.getInputStream());
        CompletableFuture<String> err = readAsync(p.getErrorStream());
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly); // the child's own children, if any
            p.destroyForcibly();
            p.waitFor();
            throw new AssertionError(name + " did not finish within " + TIMEOUT_SECONDS + " s; output:\n"
                    + text(out) + "\nstderr:\n" + text(err));
        }
        return new SampleRun(p.exitValue(), text(out).lines().toList(), text(err));
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        var f = new CompletableFuture<String>();
        Thread.ofPlatform().daemon(true).start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return f;
    }

    private static String text(CompletableFuture<String> f) throws InterruptedException {
        try {
            return f.get(10, TimeUnit.SECONDS); // the streams close when the child has exited
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Standard output as one string, for assertion messages and {@code contains} checks. */
    String output() {
        return String.join("\n", lines);
    }

    /** A description of the run for assertion failures. */
    String describe() {
        return "exit code " + exitCode + "\n--- stdout:\n" + output() + "\n--- stderr:\n" + stderr;
    }

    /** The lines that start with {@code prefix}, in order. */
    List<String> linesStartingWith(String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).toList();
    }

    /** The one line that starts with {@code prefix}; fails if there is none or more than one. */
    String line(String prefix) {
        List<String> found = linesStartingWith(prefix);
        assertThat(found).as("exactly one line starting with '%s' in:\n%s", prefix, describe()).hasSize(1);
        return found.get(0);
    }

    /**
     * Asserts that, for each prefix in turn, a line starting with it comes after the line that matched the
     * previous prefix.
     */
    SampleRun assertInOrder(String... prefixes) {
        int from = 0;
        for (String prefix : prefixes) {
            int at = -1;
            for (int i = from; i < lines.size(); i++) {
                if (lines.get(i).startsWith(prefix)) {
                    at = i;
                    break;
                }
            }
            assertThat(at).as("a line starting with '%s' after line %d in:\n%s", prefix, from, describe())
                    .isNotNegative();
            from = at + 1;
        }
        return this;
    }

    /** The index of the first line starting with {@code prefix}, or -1. */
    int indexOf(String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
