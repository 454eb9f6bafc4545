package dev.quiesce.grpc;

import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.Shutdown;
import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** A shutdown (no signals, exit policy RETURN) and a {@link QuiesceGrpc} server on 127.0.0.1:0, for one test. */
final class Loopback implements AutoCloseable {
    final Shutdown shutdown;
    final QuiesceGrpc grpc;
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

    Loopback(ServerServiceDefinition service, UnaryOperator<Shutdown.Builder> config) throws Exception {
        shutdown = config.apply(Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(30)).cancelGrace(Duration.ofSeconds(2))).start();
        grpc = QuiesceGrpc.builder(shutdown).bind("127.0.0.1", 0).addService(service).start();
        shutdown.markReady();
    }

    /** A new channel to the server (closed with this). */
    ManagedChannel channel() {
        ManagedChannel c = NettyChannelBuilder.forAddress(grpc.address()).usePlaintext().build();
        channels.add(c);
        return c;
    }

    static Req req(String name) {
        return Req.newBuilder().setName(name).build();
    }

    static String body(Resp r) {
        return r.getBody();
    }

    /** Polls {@code condition} every millisecond; the test's @Timeout bounds the wait. */
    static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(1);
        }
    }

    @Override
    public void close() {
        try {
            shutdown.initiate("test ended");
            shutdown.escalate();
            shutdown.awaitTermination(Duration.ofSeconds(30));
            for (ManagedChannel c : channels) {
                c.shutdownNow();
                c.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
