package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theDemo_cancelsTheWholeTree_andEveryWorkerStops() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java(), "-jar", demoJar().toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();

        assertThat(out).contains("/demo [OPEN]", "/demo/orders [JOINED]", "/demo/payments [JOINED");
        assertThat(out.lines().filter(l -> l.startsWith("orders worker")).toList()).hasSize(3)
                .allMatch(l -> l.contains("parent /demo cancelled (explicit: demo cancels the root)"));
        assertThat(out.lines().filter(l -> l.contains("saved its state (shielded)")).toList()).hasSize(2);
        assertThat(out).contains("open scopes after close: 0");
        assertThat(List.of(out.lines().reduce((a, b) -> b).orElse("")))
                .containsExactly("demo: 5 of 5 workers stopped, 2 saved their state");
    }
}
