package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the demo jar as a user would ({@code java -jar}) and checks what it prints. */
class DemoIT {

    static Path demoJar() {
        Path jar = Path.of(System.getProperty("quiesce.demo.jar", "target/quiesce-demo.jar"));
        assertThat(jar).as("the demo jar is built in the package phase").exists();
        return jar;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String run(String... args) throws IOException, InterruptedException {
        return runExpecting(0, args);
    }

    /**
     * Runs the demo with {@code args} (bounded: a hung demo is killed), asserts its exit code, and returns its
     * output followed by its error output.
     */
    private static String runExpecting(int exitCode, String... args) throws IOException, InterruptedException {
        var cmd = new java.util.ArrayList<>(List.of(java(), "-jar", demoJar().toString()));
        cmd.addAll(List.of(args));
        SampleRun run = SampleRun.exec("quiesce-demo " + String.join(" ", args), cmd, java.util.Map.of());
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(exitCode);
        return run.output() + "\n" + run.stderr();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theSelfDemo_drainsEveryRequestUnderSigterm_andExitsZero() throws Exception {
        String out = run();
        // what a load balancer sees, in order: serving before the signal, then draining, then refused
        assertThat(out).containsSubsequence("[client] GET /health/ready -> 200\n",
                "requests in flight; sending SIGTERM to myself",
                "[client] GET /health/ready -> 503 (draining",
                "[client] GET /health/ready -> connection refused (listener closed)");
        assertThat(out).containsSubsequence("[shutdown] TRIGGER", "[shutdown] READINESS", "[shutdown] STOP_ACCEPTING",
                "[shutdown] DRAIN", "[shutdown] CANCEL", "[shutdown] ABANDON", "[shutdown] PERSIST",
                "[shutdown] CLEANUP", "[shutdown] REPORT", "[shutdown] EXIT");
        assertThat(out).contains("[client] self-demo: 200 requests, 200 answered 200 OK, 0 failed");
        assertThat(out).contains("outcome CLEAN, exit code 0");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void help_showsEveryOptionWithItsDefault_andWhereTheStateFileGoes() throws Exception {
        String out = run("help");
        assertThat(out.lines().map(String::strip).toList()).anySatisfy(l -> assertThat(l).startsWith("usage: "));
        // every option the parser knows (DemoService.Settings.parse), each with its default
        for (String option : new String[] {"--host ADDR", "--port N", "--state FILE", "--pre-drain-ms N", "--grace-ms N",
                "--cancel-grace-ms N", "--budget-ms N", "--naive", "--management-port N",
                "--server NAME", "--grpc-port N"}) {
            assertThat(out).contains("  " + option + " ");
        }
        assertThat(out).contains("(default 127.0.0.1", "(default 0", "(default quiesce-demo-state.json, in the working"
                + " directory)", "(default 1000)", "(default 10000)", "(default 30000)", "(default off)", "(default jdk)");
        // each option's text (up to the next option) gives its default
        String options = out.substring(out.indexOf("serve options:"), out.indexOf("samples: "));
        List<String> perOption = List.of(options.split("\n\\s+(?=--)"));
        assertThat(perOption.subList(1, perOption.size())).as(options).hasSize(11)
                .allSatisfy(o -> assertThat(o).contains("(default "));
        assertThat(out).contains("./demo.sh sample NAME");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void badServeOptions_printWhatIsWrongAndTheUsage_andExitTwo_withoutAStackTrace() throws Exception {
        String[][] cases = {
            {"serve", "--bogus"}, {"serve", "--port", "abc"}, {"serve", "--port"}, {"serve", "--port", "70000"},
            {"serve", "--grace-ms", "-5"}, {"no-such-mode"}, {"serve", "--server", "tomcat"}, {"serve", "--server"},
            {"serve", "--grpc-port", "70000"},
        };
        String[] says = {"unknown option --bogus", "--port takes a whole number, was 'abc'", "--port needs a value",
            "--port takes 0 (any free port) to 65535, was 70000", "--grace-ms takes a number of milliseconds, 0 or more, was -5",
            "unknown mode no-such-mode", "--server takes jdk or jetty, was 'tomcat'", "--server needs a value",
            "--grpc-port takes 0 (any free port) to 65535, was 70000"};
        for (int i = 0; i < cases.length; i++) {
            String out = runExpecting(2, cases[i]);
            assertThat(out).as(String.join(" ", cases[i])).contains("quiesce-demo: " + says[i] + "\n")
                    .contains("usage: ").doesNotContain("Exception").doesNotContain("\tat ")
                    .doesNotContain("listening on http");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theTreeDemo_cancelsTheWholeTree_andEveryWorkerStops() throws Exception {
        String out = run("tree");
        assertThat(out).contains("/demo [OPEN]", "/demo/orders [JOINED]", "/demo/payments [");
        assertThat(out.lines().filter(l -> l.startsWith("orders worker")).toList()).hasSize(3)
                .allMatch(l -> l.contains("parent /demo cancelled (explicit: demo cancels the root)"));
        assertThat(out.lines().filter(l -> l.contains("saved its state (shielded)")).toList()).hasSize(2);
        assertThat(out).contains("open scopes after close: 0");
        assertThat(out.lines().reduce((a, b) -> b).orElse(""))
                .isEqualTo("demo: 5 of 5 workers stopped, 2 saved their state");
    }
}
