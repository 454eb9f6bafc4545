package dev.quiesce.grpc;

import dev.quiesce.Scope;
import dev.quiesce.grpc.tck.TckService;
import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.Shutdown;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.time.Duration;

/**
 * The root README's gRPC example (its {@code ## gRPC} section), the region {@code readme-grpc-stream}: core's
 * {@code ReadmeExamplesTest} checks that the README's block is this region, {@link ReadmeTest} runs it. The README
 * shows {@code Shutdown.builder()} and {@code port(50051)}; the test runs on a shutdown without signals and a
 * loopback port (the {@code @replace} markup).
 */
final class ReadmeExamples {
    private ReadmeExamples() {}

    /** A price feed: the next price for a request (it blocks until there is one). */
    interface PriceBook {
        Resp next(Req request);
    }

    /** {@code rpc Watch (Req) returns (stream Resp)} of a service {@code shop.Prices}, as a generated stub has it. */
    static final MethodDescriptor<Req, Resp> WATCH = TckService.TICKS.toBuilder()
            .setFullMethodName(MethodDescriptor.generateFullMethodName("shop.Prices", "Watch")).build();

    /** The example: the shutdown, a server stream, the server; the server and its shutdown. */
    record Started(Shutdown shutdown, QuiesceGrpc grpc) {}

    static Started prices(PriceBook book, String host, int port) throws IOException {
        // @start region="readme-grpc-stream"
        // @replace substring="ReadmeTest.testBuilder()" replacement="Shutdown.builder()":
        var shutdown = ReadmeTest.testBuilder() // SIGTERM, SIGINT -> the shutdown sequence
                .preDrainDelay(Duration.ofSeconds(5)).gracePeriod(Duration.ofSeconds(10)).start();
        // a server stream: its handler runs in a virtual thread of the call's own scope, /<shutdown>/grpc/call-N
        var prices = ServerServiceDefinition.builder("shop.Prices").addMethod(WATCH,
                ServerCalls.asyncServerStreamingCall((req, out) -> {
                    while (!Scope.stopRequested()) { // true from the drain on: the stream ends before any interrupt
                        out.onNext(book.next(req));
                    }
                    out.onCompleted(); // the client sees OK
                })).build();
        // @replace substring="bind(host, port)" replacement="port(50051)":
        var grpc = QuiesceGrpc.builder(shutdown).bind(host, port).addService(prices).start();
        shutdown.markReady(); // the health service says SERVING
        // at SIGTERM: health NOT_SERVING; after the pre-drain delay the listener closes (a new call: UNAVAILABLE),
        // unary calls in flight run to their end, this stream ends OK; shutdownNow() only past the grace period
        // @end
        return new Started(shutdown, grpc);
    }
}
