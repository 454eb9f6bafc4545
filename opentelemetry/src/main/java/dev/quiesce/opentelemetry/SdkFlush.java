package dev.quiesce.opentelemetry;

import dev.quiesce.shutdown.Shutdown;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The telemetry-flush hook of {@link QuiesceOpenTelemetry#install}: force-flushes the SDK's tracer, meter and
 * logger providers, then shuts it down, each wait bounded by what is left of the shutdown's budget (the slice,
 * during the flush). The only class of this module that uses the SDK, which is an optional dependency.
 */
final class SdkFlush implements Shutdown.Hook {
    private final Shutdown shutdown;
    private final OpenTelemetrySdk sdk;

    SdkFlush(Shutdown shutdown, OpenTelemetrySdk sdk) {
        this.shutdown = shutdown;
        this.sdk = sdk;
    }

    @Override
    public void run() {
        List<String> failed = new ArrayList<>();
        await(sdk.getSdkTracerProvider().forceFlush(), "the tracer provider's flush", failed);
        await(sdk.getSdkMeterProvider().forceFlush(), "the meter provider's flush", failed);
        await(sdk.getSdkLoggerProvider().forceFlush(), "the logger provider's flush", failed);
        await(sdk.shutdown(), "the SDK's shutdown", failed);
        if (!failed.isEmpty()) {
            throw new IllegalStateException("OpenTelemetry did not export everything: " + String.join(", ", failed)
                    + " did not succeed (an exporter failed, or the telemetry-flush slice was too short: raise "
                    + "Shutdown.builder().telemetryFlush(..))");
        }
    }

    private void await(CompletableResultCode result, String what, List<String> failed) {
        Duration left = shutdown.remaining();
        result.join(Math.max(1, left.toMillis()), TimeUnit.MILLISECONDS);
        if (!result.isSuccess()) {
            failed.add(what);
        }
    }

    @Override
    public String toString() {
        return "flush and shut down " + sdk;
    }
}
