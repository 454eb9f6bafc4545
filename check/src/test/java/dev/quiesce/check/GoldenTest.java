package dev.quiesce.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fixtures under src/test/resources/fixtures, each checked and compared with its golden output
 * ({@code NAME.out}, {@code NAME.err}); the exit code and the problems are also asserted here, so a rewrite of
 * the golden files ({@code -Dquiesce.check.updateGolden=true}) cannot turn a failing fixture into a passing one.
 */
class GoldenTest {
    static final Path DOCS = Path.of("..", "docs", "kubernetes.md");

    static Stream<Arguments> fixtures() {
        return Stream.of(
                // name, exit code, the start of each PROBLEM line, in order
                Arguments.of("over-budget", 1, List.of("over budget by 8 s")),
                Arguments.of("pre-drain-too-short", 1, List.of("the pre-drain delay 1 s")),
                Arguments.of("no-readiness-probe", 1, List.of("no readinessProbe")),
                Arguments.of("liveness-is-readiness", 1, List.of("livenessProbe checks the readiness path")),
                Arguments.of("statefulset", 0, List.of()),
                Arguments.of("prestop-sleep-exec", 1, List.of("over budget by 3 s", "the platform budget 30 s")),
                Arguments.of("prestop-sleep-native", 0, List.of()),
                Arguments.of("prestop-drain", 0, List.of()),
                Arguments.of("prestop-unknown", 0, List.of()),
                Arguments.of("multi-document", 1, List.of("over budget by 20 s", "the platform budget 30 s")),
                Arguments.of("invalid-yaml", 2, List.of()),
                Arguments.of("no-workload", 2, List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void fixture_matchesGoldenOutput(String name, int exit, List<String> problems) throws IOException {
        CheckRun run = CheckRun.of(CheckRun.FIXTURES, name + ".yaml");

        run.assertGolden(name);
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(exit);
        assertThat(run.problems()).hasSameSizeAs(problems);
        for (int i = 0; i < problems.size(); i++) {
            assertThat(run.problems().get(i)).startsWith(problems.get(i));
        }
        assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    /** The Deployment that docs/kubernetes.md recommends, read from the page itself so the two cannot drift. */
    @Test
    void docsDeployment_isSound(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("deployment.yaml"), docsDeployment());

        CheckRun run = CheckRun.of(dir, "deployment.yaml");

        run.assertGolden("docs-deployment");
        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.problems()).isEmpty();
        assertThat(run.warnings()).isEmpty();
    }

    /** The page's "Checking a Deployment" section shows the output the checker really prints for that Deployment. */
    @Test
    void docsSampleOutput_isTheCheckersOutput(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("deployment.yaml"), docsDeployment());

        CheckRun run = CheckRun.of(dir, "deployment.yaml");

        assertThat(block(section("## Checking a Deployment"), "```text"))
                .as("the sample output in docs/kubernetes.md, section 'Checking a Deployment': paste the output of "
                        + "bin/quiesce-check deployment.yaml there")
                .isEqualTo(run.out());
    }

    static String docsDeployment() throws IOException {
        return block(section("## A Deployment matching the demo's settings"), "```yaml");
    }

    private static String section(String heading) throws IOException {
        String page = Files.readString(DOCS);
        int start = page.indexOf("\n" + heading + "\n");
        assertThat(start).as("docs/kubernetes.md has a section %s", heading).isNotNegative();
        int end = page.indexOf("\n## ", start + heading.length() + 1);
        return page.substring(start, end < 0 ? page.length() : end);
    }

    private static String block(String section, String fence) {
        int open = section.indexOf("\n" + fence + "\n");
        assertThat(open).as("a %s block in the section", fence).isNotNegative();
        int from = open + fence.length() + 2;
        int close = section.indexOf("\n```\n", from - 1);
        assertThat(close).as("the block is closed").isGreaterThan(from);
        return section.substring(from, close + 1);
    }

    /**
     * The preStop-drain Deployment of docs/kubernetes.md (section "preStop hooks"), read from the page: sound, and
     * the output shown under it is the checker's.
     */
    @Test
    void docsPreStopDeployment_isSound_andItsSampleOutputIsTheCheckers(@TempDir Path dir) throws IOException {
        String preStop = section("## preStop hooks: draining before SIGTERM");
        Files.writeString(dir.resolve("deployment-prestop.yaml"), block(preStop, "```yaml"));

        CheckRun run = CheckRun.of(dir, "deployment-prestop.yaml");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.problems()).isEmpty();
        assertThat(run.warnings()).isEmpty();
        assertThat(run.out()).contains("preStop: drain");
        assertThat(block(preStop, "```text")).as("the sample output in docs/kubernetes.md, section 'preStop hooks': "
                + "paste the output of bin/quiesce-check deployment-prestop.yaml there").isEqualTo(run.out());
    }
}
