/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
// quiesce-jetty, quiesce-opentelemetry and OpenTelemetry's jars are automatic modules (no descriptor)
@SuppressWarnings("requires-automatic")
module dev.quiesce.samples {
    requires dev.quiesce;
    requires jdk.httpserver; // the demo service and the HTTP samples
    requires java.net.http; // the demo's self-demo load generator
    requires dev.quiesce.jetty; // the demo service on Jetty (serve --server jetty)
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.util;
    requires org.eclipse.jetty.http2.server;
    // Sample18 runs the test kit from its main; static: the demo and the other samples run on the module path
    // without it (ModulePathIT), and on the class path (the demo jar) it is there
    requires static dev.quiesce.test;
    requires org.slf4j; // Sample19 logs with the MDC, kept by a provider of its own that extends slf4j-simple's
    requires static org.slf4j.simple;
    // Sample19 only, run from the class path (the demo jar): static, so the module path needs none of them
    requires static dev.quiesce.opentelemetry;
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;
    requires static io.opentelemetry.sdk;
    requires static io.opentelemetry.sdk.common;
    requires static io.opentelemetry.sdk.trace;
    // Sample17 and the demo's gRPC listener (serve --grpc-port), run from the class path (the demo jar): static, so
    // the demo without --grpc-port runs on the module path without grpc-java (ModulePathIT)
    requires static dev.quiesce.grpc;
    requires static io.grpc;
    requires static io.grpc.netty;
    requires static io.grpc.stub;
}
