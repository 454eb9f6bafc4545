package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first cancellation in a JVM costs what a later one costs: nothing is loaded for the first time on
 * the cancel path (it was about 140 ms of JFR class loading). Checked without timing, in a fresh JVM that
 * logs every class it loads: between the probe's cancel and the end of its join, none may be loaded.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FirstCancelTest {

    @Test
    void theFirstCancelOfAPlainScope_loadsNoClass() throws Exception {
        List<String> lines = runProbe();
        int from = lines.indexOf(FirstCancelProbe.CANCEL);
        int to = lines.indexOf(FirstCancelProbe.JOINED);
        assertThat(from).as("probe output:\n%s", String.join("\n", lines)).isNotNegative();
        assertThat(to).as("probe output:\n%s", String.join("\n", lines)).isGreaterThan(from);
        assertThat(lines.subList(from + 1, to)).as("classes loaded by the first cancel() and join()").isEmpty();
    }

    private static List<String> runProbe() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xlog:class+load=info:stdout:none"); // one class name per line, on the same stream as the markers
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(FirstCancelProbe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("probe exit code; output:\n%s", out).isZero();
        return out.lines().toList();
    }
}
