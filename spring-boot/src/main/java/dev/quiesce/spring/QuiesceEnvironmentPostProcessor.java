package dev.quiesce.spring;

import java.util.LinkedHashMap;
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
 *
 * <p>In a {@code @SpringBootTest} it also defaults {@code quiesce.shutdown.signals} to none and
 * {@code quiesce.shutdown.exit-policy} to {@code RETURN}: the test framework closes (and caches) contexts, and a
 * close runs the shutdown's sequence, which must not end the test JVM.
 */
public final class QuiesceEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {
    /** The name of the property source this adds. */
    public static final String SOURCE = "quiesceDefaults";

    /** Created by Boot. */
    public QuiesceEnvironmentPostProcessor() {}

    /** Present in the environment of a {@code @SpringBootTest}'s application context. */
    static final String SPRING_BOOT_TEST = "org.springframework.boot.test.context.SpringBootTestContextBootstrapper";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.getProperty("quiesce.shutdown.enabled", Boolean.class, true)) {
            return;
        }
        Map<String, Object> defaults = new LinkedHashMap<>();
        defaults.put("spring.main.register-shutdown-hook", "false");
        if (environment.containsProperty(SPRING_BOOT_TEST)) {
            // a test's context (closed by the test framework, cached, several per JVM) must neither take the test
            // JVM's signals nor end it with System.exit when it closes
            defaults.put("quiesce.shutdown.signals", "");
            defaults.put("quiesce.shutdown.exit-policy", "RETURN");
        }
        environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
