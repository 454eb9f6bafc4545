package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.stereotype.Component;

/** The ```java example of this module's README is the class below (less its test line), compiled and run. */
@Timeout(60)
class ReadmeTest {
    static final List<Duration> SAVED = new CopyOnWriteArrayList<>();

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

    @Test
    void theReadmeExample_isInThisFile_andItsHookRuns() throws Exception {
        List<String> source = Files.readAllLines(Path.of("src/test/java/dev/quiesce/spring/ReadmeTest.java")).stream()
                .map(String::strip).toList();
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int from = readme.indexOf("```java\n") + "```java\n".length();
        List<String> example = readme.substring(from, readme.indexOf("\n```", from)).lines().map(String::strip).toList();
        assertThat(example).as("spring-boot/README.md's java example").isNotEmpty();
        assertThat(source).as("the README's example, line by line, is the class above").containsSubsequence(example);

        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        new OrderBook(shutdown);
        shutdown.markReady();
        shutdown.initiate("test over");
        shutdown.awaitTermination();
        assertThat(SAVED).singleElement().satisfies(d -> assertThat(d).isPositive());
    }
}
