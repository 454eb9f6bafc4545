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

    /**
     * Asserts a shutdown that went past its grace: {@code stubborn}'s call (whose handler ignored its interrupt) was
     * cut by {@code shutdownNow()}, the outcome is FORCED, {@code cancelled} calls were counted cancelled, none is
     * left in flight, and the stubborn handler's thread {@code <shutdown>/grpc/call-N} is listed as a straggler.
     */
    static void assertForcedWithAStraggler(dev.quiesce.shutdown.ShutdownReport report, io.grpc.Status stubborn,
            int cancelled) {
        org.junit.jupiter.api.Assertions.assertTrue(stubborn.getCode() == io.grpc.Status.Code.CANCELLED
                || stubborn.getCode() == io.grpc.Status.Code.UNAVAILABLE, "the stubborn call is cut by shutdownNow(): "
                + stubborn);
        org.junit.jupiter.api.Assertions.assertEquals(dev.quiesce.shutdown.ShutdownReport.Outcome.FORCED,
                report.outcome(), report::toText);
        var d = report.ingresses().get(0);
        org.junit.jupiter.api.Assertions.assertEquals(cancelled, d.cancelled(), d::toString);
        org.junit.jupiter.api.Assertions.assertEquals(0, d.inFlight(), d::toString);
        org.junit.jupiter.api.Assertions.assertTrue(report.stragglers().stream().anyMatch(
                s -> s.scopePath().matches(".*/grpc(/call-\\d+)?") && s.threadName().matches(".*/grpc/call-\\d+")),
                () -> "the stubborn handler's thread: " + report.toText());
    }

    /**
     * Waits for {@code release}, ignoring interrupts (a straggler's handler); the interrupt status is restored once
     * released.
     */
    static void awaitIgnoringInterrupts(java.util.concurrent.CountDownLatch release) {
        boolean interrupted = false;
        while (release.getCount() > 0) {
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
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
