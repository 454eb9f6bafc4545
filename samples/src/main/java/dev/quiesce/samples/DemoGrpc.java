package dev.quiesce.samples;

import dev.quiesce.Scope;
import dev.quiesce.grpc.QuiesceGrpc;
import dev.quiesce.shutdown.Shutdown;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The demo's gRPC service {@code quiesce.demo.Demo} ({@code serve --grpc-port}, and {@link Sample17_GrpcDraining}):
 * messages are UTF-8 text (a marshaller of its own: no protobuf, no generated stubs), so a client needs only the two
 * method descriptors below.
 * <ul>
 *   <li>{@code Work(ms)}, unary: the request is a number of milliseconds; the answer, {@code {"slept":N}}, comes
 *       after N ms of work, as {@code GET /work?ms=N} does (a bad number: {@code INVALID_ARGUMENT}).
 *   <li>{@code Ticks}, server streaming: {@code tick 0}, {@code tick 1}, ... every 20 ms, until the shutdown asks the
 *       call to stop ({@code Scope.stopRequested()}): then the stream ends with OK.
 * </ul>
 */
final class DemoGrpc {
    private DemoGrpc() {}

    /** The service's name. */
    static final String SERVICE = "quiesce.demo.Demo";

    /** UTF-8 text as a gRPC message. */
    static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** {@code rpc Work (ms) returns (json)}. */
    static final MethodDescriptor<String, String> WORK = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Work"))
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    /** {@code rpc Ticks (empty) returns (stream tick)}. */
    static final MethodDescriptor<String, String> TICKS = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Ticks"))
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    /**
     * The demo's gRPC listener ({@code serve --grpc-port}): this service on a {@link QuiesceGrpc} server at
     * {@code host:port} (0: any free port), draining with {@code shutdown} beside the HTTP listener.
     *
     * @return the port it listens on
     */
    static int serve(Shutdown shutdown, String host, int port, DemoService.Route work) throws IOException {
        return QuiesceGrpc.builder(shutdown).bind(host, port).addService(service(work)).start().port();
    }

    /** How often a stream ticks: its own pace. */
    static final long TICK_MS = 20;

    /**
     * The service; {@code work} answers {@code Work(ms)} as the HTTP route {@code /work} answers {@code ?ms=N}
     * (see {@link DemoService#work}).
     */
    static ServerServiceDefinition service(DemoService.Route work) {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(WORK, ServerCalls.asyncUnaryCall((String ms, StreamObserver<String> out) -> work(work, ms, out)))
                .addMethod(TICKS, ServerCalls.asyncServerStreamingCall((String req, StreamObserver<String> out) ->
                        ticks(out)))
                .build();
    }

    private static void work(DemoService.Route work, String ms, StreamObserver<String> out) {
        DemoService.Reply reply;
        try {
            reply = work.answer("GET", "ms=" + ms.strip());
        } catch (IOException e) {
            // cancelled (the interrupt is set): Quiesce answers CANCELLED; a plain server's client has gone already
            return;
        }
        try {
            if (reply.status() == 200) {
                out.onNext(reply.json());
                out.onCompleted();
            } else {
                out.onError(Status.INVALID_ARGUMENT.withDescription("Work takes a whole number of milliseconds,"
                        + " 0 to 600000, was '" + ms + "'").asRuntimeException());
            }
        } catch (StatusRuntimeException callGone) {
            // a plain server's shutdownNow() cancelled the call under the handler: nobody to answer
        }
    }

    /** Ticks until the shutdown asks this call to stop, then ends the stream with OK. */
    private static void ticks(StreamObserver<String> out) {
        try {
            for (long i = 0; !Scope.stopRequested(); i++) {
                if (Context.current().isCancelled()) {
                    return; // the client went, or a plain server's shutdownNow() cut the stream
                }
                out.onNext("tick " + i);
                Thread.sleep(TICK_MS);
            }
            out.onCompleted();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // cancelled at the end of the grace period: Quiesce answers CANCELLED
        } catch (StatusRuntimeException callGone) {
            // the call was cancelled between the look and the tick
        }
    }
}
