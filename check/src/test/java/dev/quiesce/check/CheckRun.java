package dev.quiesce.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One in-process run of the checker, and the golden-file comparison: {@code NAME.out} holds the expected standard
 * output, {@code NAME.err} the expected standard error (absent: it must be empty). With
 * {@code -Dquiesce.check.updateGolden=true} the files are rewritten from the run first (review the diff).
 */
record CheckRun(int exit, String out, String err) {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");
    static final boolean UPDATE_GOLDEN = Boolean.getBoolean("quiesce.check.updateGolden");

    static CheckRun of(Path workDir, byte[] stdin, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int exit = Check.run(workDir, args, new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CheckRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static CheckRun of(Path workDir, String... args) {
        return of(workDir, new byte[0], args);
    }

    /** Checks {@code yaml} given on standard input ({@code -}). */
    static CheckRun ofYaml(String yaml, String... flags) {
        String[] args = new String[flags.length + 1];
        args[0] = "-";
        System.arraycopy(flags, 0, args, 1, flags.length);
        return of(FIXTURES, yaml.getBytes(StandardCharsets.UTF_8), args);
    }

    /** The PROBLEM lines, without their prefix. */
    List<String> problems() {
        return out.lines().map(String::strip).filter(l -> l.startsWith("PROBLEM: "))
                .map(l -> l.substring("PROBLEM: ".length())).toList();
    }

    List<String> warnings() {
        return out.lines().map(String::strip).filter(l -> l.startsWith("warning: "))
                .map(l -> l.substring("warning: ".length())).toList();
    }

    /** Compares the run with the golden files {@code name.out} and {@code name.err}, exactly. */
    void assertGolden(String name) throws IOException {
        Path outFile = FIXTURES.resolve(name + ".out");
        Path errFile = FIXTURES.resolve(name + ".err");
        if (UPDATE_GOLDEN) {
            Files.writeString(outFile, out);
            if (err.isEmpty()) {
                Files.deleteIfExists(errFile);
            } else {
                Files.writeString(errFile, err);
            }
        }
        assertThat(out).as("standard output, golden file %s (-Dquiesce.check.updateGolden=true rewrites it)", outFile)
                .isEqualTo(Files.readString(outFile));
        String expectedErr = Files.exists(errFile) ? Files.readString(errFile) : "";
        assertThat(err).as("standard error, golden file %s", errFile).isEqualTo(expectedErr);
    }
}
