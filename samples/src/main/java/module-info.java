/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
@SuppressWarnings("requires-automatic") // quiesce-opentelemetry and OpenTelemetry's jars are automatic modules
module dev.quiesce.samples {
    requires dev.quiesce;
    requires jdk.httpserver; // the demo service and the HTTP samples
    requires java.net.http; // the demo's self-demo load generator
    requires org.slf4j; // Sample19 logs with the MDC, kept by a provider of its own that extends slf4j-simple's
    requires static org.slf4j.simple;
    // Sample19 only, run from the class path (the demo jar): static, so the module path needs none of them
    requires static dev.quiesce.opentelemetry;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static io.opentelemetry.sdk;
    requires static io.opentelemetry.sdk.common;
    requires static io.opentelemetry.sdk.trace;
}
