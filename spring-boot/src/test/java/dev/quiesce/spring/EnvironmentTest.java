package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Boot's JVM shutdown hook is off by default (Quiesce closes the context), and an explicit setting in the
 * application's configuration (here the command line) wins.
 */
@Timeout(120)
class EnvironmentTest {

    @Test
    void bootsShutdownHook_isOffByDefault_andAnExplicitTrueWins() throws Exception {
        assertThat(hookSetting()).isEqualTo("false");
        assertThat(hookSetting("--spring.main.register-shutdown-hook=true")).isEqualTo("true");
    }

    private static String hookSetting(String... args) throws InterruptedException {
        ConfigurableApplicationContext context = Apps.builder().run(args);
        try {
            return context.getEnvironment().getProperty("spring.main.register-shutdown-hook");
        } finally {
            Shutdown shutdown = context.getBean(Shutdown.class);
            context.close();
            assertThat(shutdown.awaitTermination(Duration.ofSeconds(30))).isPresent();
        }
    }
}
