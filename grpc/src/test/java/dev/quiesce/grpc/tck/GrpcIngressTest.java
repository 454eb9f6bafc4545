package dev.quiesce.grpc.tck;

import dev.quiesce.grpc.QuiesceGrpc;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;

/**
 * The gRPC adapter, {@link QuiesceGrpc}, through the kit unchanged, with a gRPC client ({@link GrpcClient}): the
 * kit's routes are the unary calls Quick and Slow of {@link TckService}. In a package of its own, as an adapter's
 * test is: it uses only the kit's and the adapter's public API.
 */
class GrpcIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            QuiesceGrpc grpc = QuiesceGrpc.builder(shutdown).bind("127.0.0.1", 0).addService(TckService.of(handlers))
                    .start();
            return new ServerUnderTest(grpc.ingress(), grpc.address(), new GrpcClient(grpc.address()));
        };
    }
}
