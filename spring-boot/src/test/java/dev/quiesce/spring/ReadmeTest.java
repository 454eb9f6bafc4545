package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.stereotype.Component;

/** The ```java example of this module's README is the region below, compiled and run. */
@Timeout(60)
class ReadmeTest {
    static final List<Duration> SAVED = new CopyOnWriteArrayList<>();

    // @start region="readme-hooks"
    @Component
    class OrderBook {
        OrderBook(Shutdown shutdown) {
            // runs after the drain, before the application context closes
            shutdown.onPersist("order-book", budget -> save(budget));
        }

        void save(Duration budget) {
            // write the state within budget
            SAVED.add(budget);
        }
    }
    // @end

    @Test
    void theReadmeExample_isThisFilesRegion_andItsHookRuns() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/quiesce/spring/ReadmeTest.java"));
        String region = region(source, "readme-hooks").replace("        SAVED.add(budget);\n", "");
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        assertThat(readme).as("spring-boot/README.md holds the region readme-hooks of ReadmeTest").contains(region);

        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        new OrderBook(shutdown);
        shutdown.markReady();
        shutdown.initiate("test over");
        shutdown.awaitTermination();
        assertThat(SAVED).singleElement().satisfies(d -> assertThat(d).isPositive());
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
