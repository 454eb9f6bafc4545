package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the README's example ({@link ReadmeExamples}, region {@code readme-testing}) through the JUnit launcher,
 * with its {@code @QuiesceLeakCheck} active, so that a README example that does not compile or fails breaks the
 * build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeTest {

    @Test
    void theReadmeExample_passes_withItsLeakCheck() {
        assertThat(LeakCheckTest.failuresOf(ReadmeExamples.OrderServiceShutdownTest.class)).isEmpty();
    }
}
