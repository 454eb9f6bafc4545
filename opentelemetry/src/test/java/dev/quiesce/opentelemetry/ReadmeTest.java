package dev.quiesce.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code ```java} examples of this module's README and of the project README's "Telemetry" section are the
 * regions of {@link TelemetryExamples}, run here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeTest {
    private static final Path SOURCE = Path.of("src/test/java/dev/quiesce/opentelemetry/TelemetryExamples.java");
    private static final Pattern REPLACE = Pattern.compile(
            "(?<code>.*?)\\s*// @replace substring=\"(?<from>[^\"]*)\" replacement=\"(?<to>[^\"]*)\"");

    @Test
    void theReadmes_holdTheRegions() throws Exception {
        String source = Files.readString(SOURCE);
        for (Path readme : new Path[] {Path.of("README.md"), Path.of("../README.md")}) {
            String text = Files.readString(readme, StandardCharsets.UTF_8);
            for (String name : new String[] {"readme-telemetry-shutdown", "readme-telemetry-context"}) {
                assertThat(text).as("%s holds the region %s of TelemetryExamples", readme, name)
                        .contains(region(source, name));
            }
        }
    }

    @Test
    void theShutdownExample_exportsTheShutdownsSpansInTheFlush() throws Exception {
        var exporter = new ShutdownSpansTest.KeepingExporter();
        Shutdown shutdown = TelemetryExamples.shutdownExample(ShutdownSpansTest.sdk(exporter));
        exporter.shutdown = shutdown;
        shutdown.initiate("test over");
        shutdown.awaitTermination();
        assertThat(exporter.spans.getFinishedSpanItems()).extracting(SpanData::getName)
                .contains(QuiesceOpenTelemetry.SHUTDOWN_SPAN, "quiesce.shutdown.drain");
    }

    @Test
    void theContextExample_runsTheForkInTheCallersSpan() throws Exception {
        var exporter = new ShutdownSpansTest.KeepingExporter();
        try (OpenTelemetrySdk sdk = ShutdownSpansTest.sdk(exporter)) {
            Span span = sdk.getTracer("test").spanBuilder("request").startSpan();
            try (var _ = span.makeCurrent()) {
                String seen = TelemetryExamples.contextExample(id -> id + " in " + Span.current().getSpanContext().getSpanId(), "o-7");
                assertThat(seen).isEqualTo("o-7 in " + span.getSpanContext().getSpanId());
            } finally {
                span.end();
            }
        }
    }

    /**
     * The lines between {@code @start region="name"} and {@code // @end}, without their common indentation, each
     * {@code // @replace substring=".." replacement=".."} applied to its line (the one markup the regions use).
     */
    private static String region(String source, String name) {
        Matcher m = Pattern.compile("// @start region=\"" + name + "\"\\n(.*?)\\n\\s*// @end", Pattern.DOTALL)
                .matcher(source);
        assertThat(m.find()).as("region %s in %s", name, SOURCE).isTrue();
        StringBuilder rendered = new StringBuilder();
        for (String line : m.group(1).split("\n")) {
            Matcher r = REPLACE.matcher(line);
            rendered.append(r.matches() ? r.group("code").replace(r.group("from"), r.group("to")) : line).append('\n');
        }
        return rendered.toString().stripTrailing().stripIndent();
    }
}
