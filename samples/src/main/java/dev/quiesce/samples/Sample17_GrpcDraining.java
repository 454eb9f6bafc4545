package dev.quiesce.samples;

import dev.quiesce.grpc.QuiesceGrpc;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sample 17: a grpc-java server that completes its unary calls and ends its server streams with OK after SIGTERM,
 * where {@code shutdownNow()} cuts them.
 *
 * <p>grpc-java's own stop has two halves: {@code shutdown()} (GOAWAY; calls in flight continue) and
 * {@code shutdownNow()} (every call cancelled at once). Frameworks and shutdown hooks often call
 * {@code shutdownNow()}, or {@code shutdown()} without awaiting, and nothing turns the health service
 * {@code NOT_SERVING} first: with {@code shutdownNow()} every unary call in flight fails with {@code CANCELLED}
 * (grpc-java 1.85), and a server stream is cut mid-stream, its client left to guess how far it got.
 *
 * <p>{@link QuiesceGrpc} is the same grpc-java (Netty) server and the same service, draining with a
 * {@link Shutdown}: on SIGTERM the health service turns {@code NOT_SERVING}, the listening socket closes (a new call
 * on a new connection gets {@code UNAVAILABLE} at once, so a client retries on another replica), the calls in flight
 * run to their end, each stream's handler sees {@code Scope.stopRequested()} and ends its stream with OK, and
 * {@code shutdownNow()} comes only at the end of the grace period, which is not needed here.
 *
 * <p>The pair, each with 10 unary {@code Work(1500)} calls and 2 {@code Ticks} streams in flight:
 * <ul>
 *   <li>{@code wrong()}: a plain grpc-java {@code Server} and {@code server.shutdownNow()}, as a framework's stop
 *       calls it.
 *   <li>{@code right()}: a {@code QuiesceGrpc} server; SIGTERM to this process; once the drain has begun, a new
 *       call is tried.
 * </ul>
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample17_GrpcDraining
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: 10 unary calls of 1500 ms and 2 server streams in flight on a plain grpc-java Server; server.shutdownNow()
 * wrong: 0 of 10 unary calls answered OK, 10 cut: {CANCELLED=10}
 * wrong: 0 of 2 streams ended OK, 2 cut mid-stream: {CANCELLED=2}
 * right: 10 unary calls of 1500 ms and 2 server streams in flight on QuiesceGrpc; sending SIGTERM to myself
 * right: phase DRAIN: the calls in flight run to the end, the streams are asked to stop
 * right: a new call during DRAIN: UNAVAILABLE (the client retries on another replica)
 * right: 10 of 10 unary calls answered OK
 * right: 2 of 2 streams ended OK after their soft stop, each after some ticks
 * shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0, total ... ms
 *   ... one line per phase ...
 *   ingress grpc (gRPC on 127.0.0.1:...): 12 accepted, 12 completed (12 while draining), 0 cancelled, 0 in flight
 * verdict: shutdownNow() cuts all 10 unary calls and 2 streams in flight; QuiesceGrpc completes all 12 with OK and exits 0
 * </pre>
 * The process exits 0. Quiesce's and grpc-java's own log lines go to standard error.
 */
public final class Sample17_GrpcDraining {
    private Sample17_GrpcDraining() {}

    /** In flight at the stop: unary calls of {@link #WORK_MS} each, and server streams. */
    static final int CALLS = 10, STREAMS = 2;
    /** How long each unary call works: long enough to be in flight at the stop. */
    static final long WORK_MS = 1500;

    public static void main(String[] args) throws Exception {
        Outcome wrong = wrong();
        Outcome right = right();
        boolean asShown = wrong.unaryOk() == 0 && wrong.streamsOk() == 0
                && right.unaryOk() == CALLS && right.streamsOk() == STREAMS && right.newCallUnavailable()
                && right.report().outcome() == ShutdownReport.Outcome.CLEAN;
        System.out.println("verdict: " + (asShown
                ? "shutdownNow() cuts all " + CALLS + " unary calls and " + STREAMS + " streams in flight; QuiesceGrpc"
                        + " completes all " + (CALLS + STREAMS) + " with OK and exits 0"
                : "unexpected: wrong " + wrong.unaryOk() + " unary OK, " + wrong.streamsOk() + " streams OK; right "
                        + right.unaryOk() + " unary OK, " + right.streamsOk() + " streams OK, a new call "
                        + (right.newCallUnavailable() ? "UNAVAILABLE" : "not UNAVAILABLE") + ", "
                        + right.report().outcome()));
        System.exit(right.report().exitCode());
    }

    /** What one half saw: unary calls and streams that ended OK, whether a new call got UNAVAILABLE. */
    record Outcome(int unaryOk, int streamsOk, boolean newCallUnavailable, ShutdownReport report) {}

    // ------------------------------------------------------------------ wrong

    /** A plain grpc-java server and its shutdownNow(): the calls in flight and the streams are cut. */
    static Outcome wrong() throws Exception {
        var app = new App();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)) // the sample is its client
                .addService(DemoGrpc.service(app::work)).build().start();
        try (var load = new Load(server.getPort())) {
            app.awaitInFlight(CALLS);
            load.awaitTicking();
            System.out.println("wrong: " + CALLS + " unary calls of " + WORK_MS + " ms and " + STREAMS + " server streams in flight on"
                    + " a plain grpc-java Server; server.shutdownNow()");
            server.shutdownNow(); // what a framework's stop calls
            server.awaitTermination(5, TimeUnit.SECONDS);
            Map<Status.Code, Integer> unary = load.unary();
            Map<Status.Code, Integer> streams = load.streams();
            int ok = unary.getOrDefault(Status.Code.OK, 0);
            int streamsOk = streams.getOrDefault(Status.Code.OK, 0);
            System.out.println("wrong: " + ok + " of " + CALLS + " unary calls answered OK, " + (CALLS - ok) + " cut: " + unary);
            System.out.println("wrong: " + streamsOk + " of " + STREAMS + " streams ended OK, " + (STREAMS - streamsOk)
                    + " cut mid-stream: " + streams);
            return new Outcome(ok, streamsOk, false, null);
        }
    }

    // ------------------------------------------------------------------ right

    /** QuiesceGrpc and SIGTERM: every call in flight answered OK, every stream ended OK. */
    static Outcome right() throws Exception {
        var drainStarted = new CountDownLatch(1);
        // the shutdown of sample 16: 30 s budget, 300 ms pre-drain delay, 5 s grace, exit policy RETURN
        Shutdown shutdown = Sample16_JettyDraining.shutdown("sample17", "right: phase DRAIN: the calls in flight run to"
                + " the end, the streams are asked to stop", drainStarted);
        var app = new App();
        QuiesceGrpc grpc = QuiesceGrpc.builder(shutdown)
                .bind("127.0.0.1", 0) // this machine only, any free port: the sample is its own client
                .addService(DemoGrpc.service(app::work))
                .start();
        shutdown.markReady();
        try (var load = new Load(grpc.port())) {
            app.awaitInFlight(CALLS);
            load.awaitTicking();
            System.out.println("right: " + CALLS + " unary calls of " + WORK_MS + " ms and " + STREAMS + " server streams in flight on"
                    + " QuiesceGrpc; sending SIGTERM to myself");
            Sample16_JettyDraining.sigtermToMyself();
            drainStarted.await();
            Status.Code late = newCall(grpc.port());
            System.out.println("right: a new call during DRAIN: " + (late == Status.Code.UNAVAILABLE
                    ? "UNAVAILABLE (the client retries on another replica)" : late + " (unexpected)"));
            Map<Status.Code, Integer> unary = load.unary();
            Map<Status.Code, Integer> streams = load.streams();
            int ok = unary.getOrDefault(Status.Code.OK, 0);
            int streamsOk = streams.getOrDefault(Status.Code.OK, 0);
            System.out.println("right: " + ok + " of " + CALLS + " unary calls answered OK" + (ok == CALLS ? "" : ": " + unary));
            System.out.println("right: " + streamsOk + " of " + STREAMS + " streams ended OK after their soft stop"
                    + (streamsOk == STREAMS ? ", each after some ticks" : ": " + streams));
            ShutdownReport report = shutdown.awaitTermination();
            System.out.print(report.toText());
            IngressDescription entry = grpc.ingress().describe();
            return new Outcome(entry.cancelled() == 0 ? ok : 0, streamsOk, late == Status.Code.UNAVAILABLE, report);
        }
    }

    /** A unary call on a new connection: its status. */
    private static Status.Code newCall(int port) throws InterruptedException {
        ManagedChannel ch = channel(port);
        try {
            ClientCalls.blockingUnaryCall(ch, DemoGrpc.WORK, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                    "0");
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } finally {
            ch.shutdownNow();
            ch.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ the application and the clients

    /** The application: {@code Work(ms)} sleeps ms, counting the calls in its handler. */
    static final class App {
        private final AtomicLong inFlight = new AtomicLong();

        DemoService.Reply work(String method, String query) throws IOException {
            long ms = Long.parseLong(query.substring("ms=".length()));
            inFlight.incrementAndGet();
            try {
                Thread.sleep(ms); // cancelled (interrupted), the adapter answers CANCELLED
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("cancelled after " + ms + " ms of work was asked");
            } finally {
                inFlight.decrementAndGet();
            }
            return new DemoService.Reply(200, "{\"slept\":" + ms + "}");
        }

        void awaitInFlight(int n) throws InterruptedException {
            while (inFlight.get() < n) {
                Thread.sleep(5);
            }
        }
    }

    /** The clients on one channel: {@link #CALLS} unary {@code Work(1500)} calls and {@link #STREAMS} streams. */
    static final class Load implements AutoCloseable {
        private final ManagedChannel channel;
        private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        private final List<Future<Status.Code>> unary = new ArrayList<>();
        private final List<Future<Status.Code>> streams = new ArrayList<>();
        private final CountDownLatch ticking = new CountDownLatch(STREAMS);

        Load(int port) {
            channel = channel(port);
            for (int i = 0; i < CALLS; i++) {
                unary.add(clients.submit(() -> {
                    try {
                        ClientCalls.blockingUnaryCall(channel, DemoGrpc.WORK, CallOptions.DEFAULT, "" + WORK_MS);
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
            for (int i = 0; i < STREAMS; i++) {
                streams.add(clients.submit(() -> {
                    try {
                        Iterator<String> it = ClientCalls.blockingServerStreamingCall(channel, DemoGrpc.TICKS,
                                CallOptions.DEFAULT, "");
                        for (boolean first = true; it.hasNext(); first = false) { // a stream that ends badly throws
                            it.next();
                            if (first) {
                                ticking.countDown();
                            }
                        }
                        return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus().getCode();
                    }
                }));
            }
        }

        void awaitTicking() throws InterruptedException {
            ticking.await();
        }

        Map<Status.Code, Integer> unary() throws Exception {
            return count(unary);
        }

        Map<Status.Code, Integer> streams() throws Exception {
            return count(streams);
        }

        private static Map<Status.Code, Integer> count(List<Future<Status.Code>> calls) throws Exception {
            Map<Status.Code, Integer> by = new TreeMap<>();
            for (Future<Status.Code> f : calls) {
                by.merge(f.get(20, TimeUnit.SECONDS), 1, Integer::sum);
            }
            return by;
        }

        @Override
        public void close() {
            clients.shutdownNow();
            channel.shutdownNow();
        }
    }

    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }
}
