package dev.quiesce.grpc.tck;

import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.tck.Handlers;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The tests' service {@code quiesce.test.Tck} (src/test/proto/tck.proto), bound by hand: the build generates the
 * messages with protoc, but not the stubs (protoc-gen-grpc-java's binary is not served here; see the pom), so the
 * method descriptors are written as the generated {@code TckGrpc} would write them.
 */
public final class TckService {
    /** The service's name in the .proto. */
    public static final String NAME = "quiesce.test.Tck";
    /** {@code rpc Quick (Req) returns (Resp)}. */
    public static final MethodDescriptor<Req, Resp> QUICK = unary("Quick");
    /** {@code rpc Slow (Req) returns (Resp)}. */
    public static final MethodDescriptor<Req, Resp> SLOW = unary("Slow");
    /** {@code rpc Ticks (Req) returns (stream Resp)}. */
    public static final MethodDescriptor<Req, Resp> TICKS = MethodDescriptor.<Req, Resp>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(NAME, "Ticks"))
            .setRequestMarshaller(ProtoUtils.marshaller(Req.getDefaultInstance()))
            .setResponseMarshaller(ProtoUtils.marshaller(Resp.getDefaultInstance())).build();

    private TckService() {}

    private static MethodDescriptor<Req, Resp> unary(String method) {
        return MethodDescriptor.<Req, Resp>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(NAME, method))
                .setRequestMarshaller(ProtoUtils.marshaller(Req.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(Resp.getDefaultInstance())).build();
    }

    /** The service with these three handlers. */
    public static ServerServiceDefinition service(ServerCalls.UnaryMethod<Req, Resp> quick,
            ServerCalls.UnaryMethod<Req, Resp> slow, ServerCalls.ServerStreamingMethod<Req, Resp> ticks) {
        return ServerServiceDefinition.builder(NAME)
                .addMethod(QUICK, ServerCalls.asyncUnaryCall(quick))
                .addMethod(SLOW, ServerCalls.asyncUnaryCall(slow))
                .addMethod(TICKS, ServerCalls.asyncServerStreamingCall(ticks)).build();
    }

    /** The kit's two routes on Quick and Slow; Ticks is not used by the kit (it answers UNIMPLEMENTED). */
    public static ServerServiceDefinition of(Handlers handlers) {
        return service((req, out) -> reply(out, handlers.quick()), (req, out) -> {
            try {
                reply(out, handlers.slow());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // cancelled: the adapter answers it (CANCELLED)
            }
        }, (req, out) -> out.onError(io.grpc.Status.UNIMPLEMENTED.asRuntimeException()));
    }

    /** Answers {@code body} and completes the call. */
    public static void reply(StreamObserver<Resp> out, String body) {
        out.onNext(Resp.newBuilder().setBody(body).build());
        out.onCompleted();
    }
}
