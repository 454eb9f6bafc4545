package dev.quiesce.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.shutdown.Shutdown;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ```java example of this module's README is the region below, compiled and run. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeTest {

    /** A builder that neither handles signals nor exits the test JVM; the README shows Shutdown.builder(). */
    static Shutdown.Builder testBuilder() {
        return Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).preDrainDelay(Duration.ZERO);
    }

    /** The README's example, on a loopback port (the README binds 0.0.0.0:8080). */
    static Shutdown example(MeterRegistry registry, String host, int port) throws Exception {
        // @start region="readme-metrics"
        var metrics = QuiesceMetrics.create(List.of(Tag.of("service", "orders")));
        var shutdown = testBuilder().telemetryFlush(Duration.ofSeconds(2)) // a slice held back for the flush
                .onPhase(metrics).start();                             // phase timers, counters, time since trigger
        var http = DrainingHttpServer.builder(shutdown).bind(host, port).start();
        metrics.monitor(shutdown).bindTo(registry);                    // after the ingresses are registered
        QuiesceMetrics.closeInTelemetryFlush(shutdown, registry);      // published and closed in that slice
        // @end
        assertThat(http.port()).isPositive();
        return shutdown;
    }

    @Test
    void theReadmeExample_isThisFilesRegion_andBindsTheIngressGauge() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/quiesce/micrometer/ReadmeTest.java"));
        String region = region(source, "readme-metrics").replace("bind(host, port)", "bind(\"0.0.0.0\", 8080)")
                .replace("testBuilder()", "Shutdown.builder()");
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        assertThat(readme).as("micrometer/README.md holds the region readme-metrics of ReadmeTest").contains(region);

        var registry = new SimpleMeterRegistry();
        Shutdown shutdown = example(registry, "127.0.0.1", 0);
        try {
            assertThat(registry.get(QuiesceMetrics.IN_FLIGHT).tag("service", "orders").gauge().value()).isZero();
        } finally {
            shutdown.initiate("test over");
            shutdown.awaitTermination();
        }
    }

    /** The lines between {@code @start region="name"} and {@code @end}, without their common indentation. */
    private static String region(String source, String name) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String line : source.lines().toList()) {
            if (line.contains("@start region=\"" + name + "\"")) {
                in = true;
            } else if (in && line.trim().equals("// @end")) {
                break;
            } else if (in) {
                lines.add(line);
            }
        }
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            out.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n');
        }
        return out.toString();
    }
}
