package dev.quiesce.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The checker does not depend on the core, so it copies the defaults of {@code Shutdown.Builder} and of the demo;
 * these tests read both sources and fail when a default there changes without the checker.
 */
class SettingTest {
    private static final Path SHUTDOWN = Path.of("..", "core", "src", "main", "java", "dev", "quiesce", "shutdown",
            "ShutdownBuilder.java");
    private static final Path DEMO = Path.of("..", "samples", "src", "main", "java", "dev", "quiesce", "samples",
            "DemoService.java");
    private static final Pattern DURATION = Pattern.compile(
            "Duration (\\w+) = Duration\\.(ZERO|ofSeconds\\((\\d+)\\)|ofMillis\\((\\d+)\\))");
    private static final Pattern BUILDER_CALL = Pattern.compile(
            "\\.(\\w+)\\(Duration\\.(ofSeconds\\((\\d+)\\)|ofMillis\\((\\d+)\\))\\)");

    private static long ms(Matcher m, int seconds, int millis) {
        if (m.group(seconds) != null) {
            return Duration.ofSeconds(Long.parseLong(m.group(seconds))).toMillis();
        }
        return m.group(millis) == null ? 0 : Long.parseLong(m.group(millis));
    }

    private static Map<String, Long> durations(Path source, Pattern p, int seconds, int millis) throws IOException {
        Map<String, Long> found = new HashMap<>();
        Matcher m = p.matcher(Files.readString(source));
        while (m.find()) {
            found.putIfAbsent(m.group(1), ms(m, seconds, millis));
        }
        return found;
    }

    @Test
    void builderDefaults_areShutdownBuilders() throws IOException {
        Map<String, Long> fields = durations(SHUTDOWN, DURATION, 3, 4);

        for (Setting s : Setting.values()) {
            assertThat(fields).as("Shutdown.Builder field %s", s.builderMethod).containsKey(s.builderMethod);
            assertThat(s.builderDefaultMs).as("default of %s", s.builderMethod).isEqualTo(fields.get(s.builderMethod));
        }
    }

    @Test
    void demoDefaults_areTheDemos() throws IOException {
        String demo = Files.readString(DEMO);
        Map<String, Long> locals = durations(DEMO, DURATION, 3, 4); // Settings: Duration DEFAULT_PRE_DRAIN = ...
        Map<String, Long> calls = durations(DEMO, BUILDER_CALL, 3, 4); // serve: .persistBudget(Duration.ofSeconds(2))
        Map<Setting, String> local = Map.of(Setting.PRE_DRAIN, "DEFAULT_PRE_DRAIN", Setting.GRACE,
                "DEFAULT_GRACE", Setting.CANCEL_GRACE, "DEFAULT_CANCEL_GRACE", Setting.BUDGET, "DEFAULT_BUDGET");

        for (Setting s : Setting.values()) {
            switch (s.demo) {
                case OPTION -> {
                    assertThat(demo).as("the demo's option %s", s.flag()).contains("case \"" + s.flag() + "\"");
                    assertThat(locals.get(local.get(s))).as("the demo's default of %s", s.flag()).isEqualTo(s.demoMs);
                }
                case FIXED -> assertThat(calls.get(s.builderMethod)).as("the demo's %s", s.builderMethod)
                        .isEqualTo(s.demoMs);
                case BUILDER -> {
                    assertThat(demo).as("the demo leaves %s to the builder", s.builderMethod)
                            .doesNotContain("." + s.builderMethod + "(");
                    assertThat(s.demoMs).isEqualTo(s.builderDefaultMs);
                }
            }
        }
    }
}
