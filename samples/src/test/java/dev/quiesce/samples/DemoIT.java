package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
        var cmd = new java.util.ArrayList<>(java.util.List.of(java(), "-jar", demoJar().toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void theSelfDemo_drainsEveryRequestUnderSigterm_andExitsZero() throws Exception {
        String out = run();
        assertThat(out).contains("[client] 200 requests in flight; sending SIGTERM to myself");
        assertThat(out).containsSubsequence("GET /health/ready -> 503 (draining",
                "GET /health/ready -> connection refused (listener closed)");
        assertThat(out).containsSubsequence("[shutdown] TRIGGER", "[shutdown] READINESS", "[shutdown] STOP_ACCEPTING",
                "[shutdown] DRAIN", "[shutdown] CANCEL", "[shutdown] ABANDON", "[shutdown] PERSIST",
                "[shutdown] CLEANUP", "[shutdown] REPORT", "[shutdown] EXIT");
        assertThat(out).contains("[client] self-demo: 200 requests, 200 answered 200 OK, 0 failed");
        assertThat(out).contains("outcome CLEAN, exit code 0");
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
