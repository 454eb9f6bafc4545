package dev.quiesce.spring;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns Boot's JVM shutdown hook off by default ({@code spring.main.register-shutdown-hook=false}, as the lowest
 * precedence property: an application that sets it to {@code true} keeps Boot's hook). With Quiesce the
 * {@code Shutdown} owns SIGTERM/SIGINT/SIGHUP and closes the context itself, in its cleanup phase; Boot's hook would
 * close the context (and stop the web server, without a drain) on any JVM exit, in parallel with Quiesce's sequence.
 * Quiesce's own JVM shutdown hook still runs the sequence (and so closes the context) when the JVM exits for another
 * reason.
 */
public final class QuiesceEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {
    /** The name of the property source this adds. */
    public static final String SOURCE = "quiesceDefaults";

    /** Created by Boot. */
    public QuiesceEnvironmentPostProcessor() {}

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty("quiesce.shutdown.enabled", Boolean.class, true)) {
            return;
        }
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE,
                Map.of("spring.main.register-shutdown-hook", "false")));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
