package dev.quiesce.grpc.tck;

import dev.quiesce.grpc.QuiesceGrpc;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;

/**
 * The kit through {@link QuiesceGrpc#attach}: a server the application configures itself, whose listener closes
 * with the graceful {@code shutdown()} (and its GOAWAY) at STOP_ACCEPTING.
 */
class GrpcAttachIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            var builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(TckService.of(handlers));
            QuiesceGrpc grpc = QuiesceGrpc.attach(shutdown, builder);
            return new ServerUnderTest(grpc.ingress(), grpc.address(), new GrpcClient(grpc.address()));
        };
    }
}
