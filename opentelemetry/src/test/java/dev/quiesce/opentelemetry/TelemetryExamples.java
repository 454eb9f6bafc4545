package dev.quiesce.opentelemetry;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.shutdown.Shutdown;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.time.Duration;

/**
 * The {@code ```java} examples of this module's README and of the project README's "Telemetry" section, as regions
 * named {@code readme-telemetry-...}: compiled here, run by {@link ReadmeTest}, and matched against the project
 * README by core's {@code ReadmeExamplesTest} (which reads this file, with javadoc's snippet markup).
 */
final class TelemetryExamples {
    private TelemetryExamples() {}

    /** What the README's example asks of an order service. */
    interface Orders {
        /** The order {@code id}. */
        String fetch(String id);
    }

    /** A builder that neither handles signals nor exits the test JVM; the README shows Shutdown.builder(). */
    static Shutdown.Builder testBuilder() {
        return Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN);
    }

    static Shutdown shutdownExample(OpenTelemetrySdk sdk) {
        // @start region="readme-telemetry-shutdown"
        var shutdown = testBuilder() // @replace substring="testBuilder()" replacement="Shutdown.builder()"
                .telemetryFlush(Duration.ofSeconds(2))       // held back from the drain, counted in the budget check
                .onPhase(QuiesceOpenTelemetry.create(sdk))   // a span per phase under one shutdown span
                .start();
        QuiesceOpenTelemetry.install(shutdown, sdk);         // the SDK's forceFlush and shutdown, in that slice
        // @end
        return shutdown;
    }

    static String contextExample(Orders orders, String orderId) throws Exception {
        // @start region="readme-telemetry-context"
        try (var scope = Scope.open(Joiner.<String>allSuccessfulOrThrow(),
                cfg -> cfg.withPropagator(QuiesceOpenTelemetry.contextPropagator()))) {
            Subtask<String> order = scope.fork(() -> orders.fetch(orderId)); // Span.current() is the caller's
            scope.join();
            return order.get();
        }
        // @end
    }
}
