package dev.quiesce.spring;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Starts {@link TestApp} on a free port, without signals, returning from the sequence, with extra properties. */
final class Apps {
    private Apps() {}

    static SpringApplicationBuilder builder(String... properties) {
        List<String> all = new ArrayList<>(List.of("server.port=0", "quiesce.shutdown.signals=",
                "quiesce.shutdown.exit-policy=RETURN"));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(TestApp.class).properties(all.toArray(String[]::new));
    }

    static ConfigurableApplicationContext run(String... properties) {
        return builder(properties).run();
    }
}
