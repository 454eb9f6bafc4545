package dev.quiesce.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shaded jar run as a user runs it: {@code java -jar quiesce-check.jar FILE}, its exit code and output. */
class CheckJarIT {
    record Result(int exit, String out, String err) {}

    private static Result run(String... args) throws IOException, InterruptedException {
        String jar = System.getProperty("quiesce.check.jar");
        assertThat(jar).as("system property quiesce.check.jar (set by the pom)").isNotNull();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(CheckRun.FIXTURES.toFile()).start();
        p.getOutputStream().close();
        // the outputs are small (a few KB): reading one after the other cannot fill a pipe and block
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out, err);
    }

    @Test
    void soundManifest_exits0() throws Exception {
        Result r = run("statefulset.yaml");

        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).endsWith("summary: 1 workload, 1 container checked: sound\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void problems_exit1() throws Exception {
        Result r = run("over-budget.yaml");

        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("PROBLEM: over budget by 8 s");
    }

    @Test
    void invalidYaml_exits2WithAMessageAndNoStackTrace() throws Exception {
        Result r = run("invalid-yaml.yaml");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("quiesce-check: invalid-yaml.yaml is not valid YAML: ")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void help_exits0() throws Exception {
        Result r = run("--help");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(Check.USAGE);
    }
}
