package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's gRPC listener end to end ({@code serve --grpc-port 0}): the demo jar in a child JVM, grpc-java clients
 * in this JVM that know nothing of Quiesce (a channel each, no retry policy), a steady load of quick unary
 * {@code Work} calls, slow ones and long {@code Ticks} streams, and a real SIGTERM. No call is lost: every unary
 * call OK, every stream ends OK after its soft stop, a client's call after the drain began gets {@code UNAVAILABLE}
 * at once (its new connection is refused: it would go to another replica), the demo exits 0 and its report lists
 * the gRPC ingress with exactly the calls the clients saw answered.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GrpcDemoIT {
    private static final Pattern GRPC_LISTENING = Pattern.compile("^grpc listening on 127\\.0\\.0\\.1:(\\d+)$");
    private static final Pattern INGRESS = Pattern.compile("ingress grpc \\(gRPC on 127\\.0\\.0\\.1:(\\d+)\\): (\\d+)"
            + " accepted, (\\d+) completed \\((\\d+) while draining\\), (\\d+) cancelled, (\\d+) in flight");
    private static final int LOOPS = 4, SLOW = 4, STREAMS = 2;

    @TempDir
    Path dir;

    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopClients() throws InterruptedException {
        clients.shutdownNow();
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            c.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private ManagedChannel channel(int port) {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(c);
        return c;
    }

    /** Whether a failed call never reached the server: its new connection was refused (the listener is closed). */
    private static boolean refused(StatusRuntimeException e) {
        for (Throwable t = e.getStatus().getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /** Whether GET /state says the slow calls are all in their handlers. */
    private static boolean slowInFlight(URI http) throws java.io.IOException {
        try (var s = Http.connect(http)) {
            return Http.exchange(s, Http.get("/state")).body().contains("\"slowInFlight\":" + SLOW);
        }
    }

    @Test
    void underSteadyUnaryLoadSlowCallsAndLongStreams_sigtermLosesNoGrpcCall_andTheDemoExitsZero() throws Exception {
        try (var demo = DemoProcess.start("serve", "--port", "0", "--grpc-port", "0", "--state",
                DemoProcess.stateFile(dir).toString(), "--pre-drain-ms", "500", "--grace-ms", "20000",
                "--budget-ms", "40000")) {
            URI http = demo.awaitListening();
            String line = demo.awaitLine("grpc listening on ");
            Matcher listening = GRPC_LISTENING.matcher(line);
            assertThat(listening.matches()).as(line).isTrue();
            int port = Integer.parseInt(listening.group(1));
            assertThat(demo.output()).as("the HTTP line first, as the README's contract states it")
                    .containsSubsequence("listening on " + http, "grpc listening on 127.0.0.1:" + port);

            var ok = new AtomicLong();
            var sigtermSent = new AtomicBoolean();
            var lost = new CopyOnWriteArrayList<String>();
            List<Future<Boolean>> loops = new ArrayList<>(); // each: its last call was refused after the SIGTERM
            for (int i = 0; i < LOOPS; i++) {
                ManagedChannel ch = channel(port);
                loops.add(clients.submit(() -> {
                    for (;;) {
                        try {
                            ClientCalls.blockingUnaryCall(ch, DemoGrpc.WORK, CallOptions.DEFAULT, "5");
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && refused(e)) {
                                return sigtermSent.get();
                            }
                            lost.add("Work(5): " + e.getStatus());
                            return false;
                        }
                    }
                }));
            }
            List<Future<Status.Code>> slow = new ArrayList<>();
            ManagedChannel slowChannel = channel(port);
            for (int i = 0; i < SLOW; i++) {
                slow.add(clients.submit(() -> {
                    try {
                        ClientCalls.blockingUnaryCall(slowChannel, DemoGrpc.WORK, CallOptions.DEFAULT, "3000");
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
            var ticking = new CountDownLatch(STREAMS);
            List<Future<Long>> streams = new ArrayList<>(); // each: its ticks, once it ended OK
            for (int i = 0; i < STREAMS; i++) {
                ManagedChannel ch = channel(port);
                streams.add(clients.submit(() -> {
                    Iterator<String> it = ClientCalls.blockingServerStreamingCall(ch, DemoGrpc.TICKS,
                            CallOptions.DEFAULT, "");
                    long n = 0;
                    while (it.hasNext()) { // a stream that does not end OK throws here
                        it.next();
                        if (n++ == 0) {
                            ticking.countDown();
                        }
                    }
                    return n;
                }));
            }
            ticking.await();
            // the slow calls are in their handlers (GET /state counts requests of a second or more), the load runs
            while (!slowInFlight(http) || ok.get() < 200) {
                Thread.sleep(10);
            }
            sigtermSent.set(true);
            demo.signal("TERM");

            for (Future<Boolean> loop : loops) {
                assertThat(loop.get()).as("a loop ends at its first call after the SIGTERM, refused: " + lost).isTrue();
            }
            for (Future<Status.Code> s : slow) {
                assertThat(s.get()).as("a slow call in flight at the SIGTERM").isEqualTo(Status.Code.OK);
            }
            long streamed = 0;
            for (Future<Long> s : streams) {
                assertThat(s.get()).as("every stream ends OK after its ticks").isPositive();
                streamed++;
            }
            assertThat(lost).as("calls that got another answer than OK or a refused connection").isEmpty();
            StatusRuntimeException late = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(channel(port), DemoGrpc.WORK, CallOptions.DEFAULT, "0"));
            assertThat(late.getStatus().getCode()).as("a new call after the drain began: " + late)
                    .isEqualTo(Status.Code.UNAVAILABLE);

            assertThat(demo.waitFor()).as(demo.output()).isZero();
            String out = demo.output();
            assertThat(out).contains("outcome CLEAN, exit code 0");
            Matcher ingress = INGRESS.matcher(out);
            assertThat(ingress.find()).as("the report lists the gRPC ingress:\n" + out).isTrue();
            long answered = ok.get() + SLOW + streamed;
            assertThat(Integer.parseInt(ingress.group(1))).isEqualTo(port);
            assertThat(Long.parseLong(ingress.group(3))).as("completed: what the clients saw answered; " + ingress.group())
                    .isEqualTo(answered);
            assertThat(Long.parseLong(ingress.group(2))).as("accepted: " + ingress.group()).isEqualTo(answered);
            assertThat(Long.parseLong(ingress.group(4))).as("drained: the slow calls and the streams at least; "
                    + ingress.group()).isGreaterThanOrEqualTo(SLOW + STREAMS);
            assertThat(ingress.group(5) + " " + ingress.group(6)).as("cancelled, in flight").isEqualTo("0 0");
            System.out.println("gRPC through SIGTERM: " + ok.get() + " quick calls, " + SLOW + " slow calls and "
                    + streamed + " streams OK, " + LOOPS + " refused after the drain began; the demo's " + ingress.group());
        }
    }
}
