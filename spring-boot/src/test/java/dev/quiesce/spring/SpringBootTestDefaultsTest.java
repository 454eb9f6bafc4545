package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * In a {@code @SpringBootTest} that sets no quiesce.shutdown.* property, the shutdown takes no signal and returns
 * instead of exiting: closing the test's context (which runs the sequence) must not end the test JVM.
 */
@SpringBootTest(classes = TestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringBootTestDefaultsTest {

    @Autowired
    Shutdown shutdown;

    @Test
    void aSpringBootTest_getsNoSignalsAndTheReturnPolicy() {
        assertThat(shutdown.describeConfig()).contains("signals []").contains("exit policy RETURN");
        assertThat(shutdown.signalHandling()).isEmpty();
    }
}
