package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Debian tool an end-to-end test drives (HAProxy, h2load): where it is installed, or else a loud skip, except
 * under CI ({@code CI=true}), where a missing tool fails the test ({@code .ci/run} installs the packages).
 */
final class DebianTool {
    private DebianTool() {}

    /**
     * The first of {@code paths} that is executable; if none is, skips the calling test with a loud message, or
     * fails it under CI.
     *
     * @param test the test's name, for the message
     * @param tool what it is, e.g. {@code HAProxy}
     * @param aptPackage the Debian package that installs it
     * @param paths where it may be installed
     */
    static Path require(String test, String tool, String aptPackage, List<String> paths) {
        for (String p : paths) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        String msg = "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
                + "!! " + test + " SKIPPED: " + tool + " is not installed (apt-get install " + aptPackage + ").\n"
                + "!! .ci/run installs it; under CI this is a failure, not a skip.\n"
                + "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!";
        System.err.println(msg);
        assertThat(System.getenv("CI")).as(tool + " must be installed under CI").isNotEqualTo("true");
        assumeThat((Object) null).as(msg).isNotNull();
        throw new AssertionError("not reached");
    }
}
