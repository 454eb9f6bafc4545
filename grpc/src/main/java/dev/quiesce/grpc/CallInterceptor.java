package dev.quiesce.grpc;

import dev.quiesce.shutdown.HandoffScope;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthGrpc;

/**
 * The interceptor Quiesce puts first on a server: a health check passes through (it follows the shutdown's
 * readiness and is not work); every other call is counted from here and handed to the scope tree
 * ({@link HandoffScope}), where its handler runs in a virtual thread {@code /<shutdown>/grpc/call-N}. It never
 * blocks, so grpc-java may call it on a transport thread.
 *
 * <p>Thread-safe.
 */
final class CallInterceptor implements ServerInterceptor {
    private final GrpcIngress ingress;
    private final HandoffScope<GrpcCall<?, ?>> scope;

    CallInterceptor(GrpcIngress ingress, HandoffScope<GrpcCall<?, ?>> scope) {
        this.ingress = ingress;
        this.scope = scope;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        if (HealthGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        GrpcCall<ReqT, RespT> c = new GrpcCall<>(ingress, call, headers, next);
        scope.submit(c);
        return c;
    }
}
