package dev.quiesce.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.grpc.tck.TckService;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ```java example of this module's README is the region below, compiled and run. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeTest {

    /** A builder that neither handles signals nor exits the test JVM; the README shows Shutdown.builder(). */
    static Shutdown.Builder testBuilder() {
        return Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).preDrainDelay(Duration.ZERO);
    }

    /** The README's example, on a loopback port (the README listens on every interface at 50051). */
    record Started(Shutdown shutdown, QuiesceGrpc grpc) {}

    static Started example(BindableService orders) throws Exception {
        // @start region="readme-grpc"
        var shutdown = testBuilder().start(); // SIGTERM, SIGINT -> the shutdown sequence
        var grpc = QuiesceGrpc.builder(shutdown).bind("127.0.0.1", 0).addService(orders).start();
        shutdown.markReady(); // the health service says SERVING
        // @end
        return new Started(shutdown, grpc);
    }

    @Test
    void theReadmeExample_isThisFilesRegion_andServesHealthThenDrains() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/quiesce/grpc/ReadmeTest.java"));
        String region = region(source, "readme-grpc").replace("bind(\"127.0.0.1\", 0)", "port(50051)")
                .replace("testBuilder().start();", "Shutdown.builder().start();");
        // grpc/README.md only: the project's README has ```java blocks from core's tests alone (ReadmeExamplesTest)
        assertTrue(Files.readString(Path.of("README.md"), StandardCharsets.UTF_8).contains(region),
                () -> "grpc/README.md must hold the region readme-grpc of ReadmeTest, as the README shows it:\n" + region);
        BindableService orders = () -> TckService.service((req, out) -> TckService.reply(out, "ok"),
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()),
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()));
        Started started = example(orders);
        ManagedChannel ch = NettyChannelBuilder.forAddress(started.grpc().address()).usePlaintext().build();
        try {
            assertEquals(ServingStatus.SERVING, ClientCalls.blockingUnaryCall(ch, HealthGrpc.getCheckMethod(),
                    CallOptions.DEFAULT, HealthCheckRequest.getDefaultInstance()).getStatus());
            assertEquals("ok", ClientCalls.blockingUnaryCall(ch, TckService.QUICK, CallOptions.DEFAULT,
                    Loopback.req("q")).getBody());
        } finally {
            ch.shutdownNow();
        }
        Shutdown shutdown = started.shutdown();
        shutdown.initiate("test over");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
    }

    /** The health service follows the readiness: NOT_SERVING from the trigger on, before the pre-drain delay. */
    @Test
    void theHealthService_isNotServing_fromTheTrigger() throws Exception {
        Shutdown shutdown = testBuilder().platformBudget(Duration.ofMinutes(30)).preDrainDelay(Duration.ofMinutes(10))
                .start();
        BindableService quick = () -> TckService.service((req, out) -> TckService.reply(out, "ok"),
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()),
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()));
        QuiesceGrpc grpc = QuiesceGrpc.builder(shutdown).bind("127.0.0.1", 0).addService(quick).start();
        ManagedChannel ch = NettyChannelBuilder.forAddress(grpc.address()).usePlaintext().build();
        try {
            assertEquals(ServingStatus.NOT_SERVING, check(ch), "not ready yet");
            shutdown.markReady();
            assertEquals(ServingStatus.SERVING, check(ch));
            shutdown.initiate("test: the trigger");
            shutdown.readiness().await(dev.quiesce.shutdown.Readiness.State.DRAINING);
            // the health status follows on the sequence's thread right after the state changed (a readiness
            // listener), before the 10 min pre-drain delay starts: observed, not assumed at once
            long giveUp = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            ServingStatus status;
            while ((status = check(ch)) != ServingStatus.NOT_SERVING && System.nanoTime() - giveUp < 0) {
                Thread.sleep(5);
            }
            assertEquals(ServingStatus.NOT_SERVING, status, "during the pre-drain delay its health says NOT_SERVING");
            assertEquals("ok", ClientCalls.blockingUnaryCall(ch, TckService.QUICK, CallOptions.DEFAULT,
                    Loopback.req("q")).getBody(), "during the pre-drain delay the server still serves");
        } finally {
            ch.shutdownNow();
            shutdown.escalate();
            shutdown.awaitTermination();
        }
    }

    /**
     * The root README's example ({@link ReadmeExamples}): a stream in flight at the shutdown ends OK after its soft
     * stop, a new call afterwards gets UNAVAILABLE, and the report counts the stream completed.
     */
    @Test
    void theRootReadmesStreamExample_endsItsStreamOkAtTheDrain() throws Exception {
        ReadmeExamples.Started started = ReadmeExamples.prices(req -> {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // the feed's pace
            return Resp.newBuilder().setBody("price of " + req.getName()).build();
        }, "127.0.0.1", 0);
        ManagedChannel ch = NettyChannelBuilder.forAddress(started.grpc().address()).usePlaintext().build();
        try {
            var it = ClientCalls.blockingServerStreamingCall(ch, ReadmeExamples.WATCH, CallOptions.DEFAULT,
                    Loopback.req("ACME"));
            assertEquals("price of ACME", it.next().getBody(), "the stream is open");
            started.shutdown().initiate("test: SIGTERM");
            while (it.hasNext()) { // a stream that does not end OK throws here
                it.next();
            }
            io.grpc.StatusRuntimeException late = org.junit.jupiter.api.Assertions.assertThrows(
                    io.grpc.StatusRuntimeException.class, () -> ClientCalls.blockingServerStreamingCall(ch,
                            ReadmeExamples.WATCH, CallOptions.DEFAULT, Loopback.req("late")).hasNext());
            assertEquals(Status.Code.UNAVAILABLE, late.getStatus().getCode(), "a new call after the drain: " + late);
            ShutdownReport report = started.shutdown().awaitTermination();
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
            assertEquals(1, report.ingresses().get(0).completed(), report::toText);
            assertEquals(0, report.ingresses().get(0).cancelled(), report::toText);
        } finally {
            ch.shutdownNow();
            started.shutdown().escalate();
        }
    }

    private static ServingStatus check(ManagedChannel ch) {
        return ClientCalls.blockingUnaryCall(ch, HealthGrpc.getCheckMethod(), CallOptions.DEFAULT,
                HealthCheckRequest.getDefaultInstance()).getStatus();
    }

    /** The lines between {@code @start region="name"} and {@code // @end}, without their common indentation. */
    private static String region(String source, String name) {
        int start = source.indexOf('\n', source.indexOf("@start region=\"" + name + "\"")) + 1;
        int end = source.lastIndexOf('\n', source.indexOf("// @end", start)) + 1;
        return source.substring(start, end - 1).stripIndent() + "\n"; // the last line counts in stripIndent()
    }
}
