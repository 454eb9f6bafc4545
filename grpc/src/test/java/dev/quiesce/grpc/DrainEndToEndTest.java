package dev.quiesce.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.grpc.tck.TckService;
import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.ShutdownReport;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.ConnectException;
import java.time.Duration;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end on loopback, in process: a real Netty server on 127.0.0.1:0, real grpc-java clients that know nothing
 * of Quiesce (one channel each, no retry policy), and a triggered shutdown (as SIGTERM does, in-process).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DrainEndToEndTest {
    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    /** Whether a failed call never reached the server: its new connection was refused (the listener is closed). */
    private static boolean refusedConnection(StatusRuntimeException e) {
        for (Throwable t = e.getStatus().getCause(); t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Under a steady load of unary calls and long server streams, a triggered shutdown loses no call: every unary
     * call the server took is answered OK, every stream ends OK after its soft stop, a new call after the drain
     * starts gets UNAVAILABLE at once (its connection is refused: the client goes elsewhere), the outcome is CLEAN
     * with exit code 0, and the server's counts match what the clients saw.
     */
    @Test
    void underSteadyUnaryLoadAndLongStreams_aTriggeredShutdownLosesNoCall() throws Exception {
        var streamInterrupted = new AtomicBoolean();
        var streaming = new CountDownLatch(4);
        var service = TckService.service((req, out) -> TckService.reply(out, "quick"),
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()),
                (req, out) -> CallScopeTest.ticks(out, streaming, streamInterrupted));
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofMinutes(10)))) {
            var ok = new AtomicLong();
            var refused = new AtomicInteger();
            var lost = new CopyOnWriteArrayList<Status>();
            List<Future<?>> loops = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ManagedChannel ch = lb.channel();
                loops.add(clients.submit(() -> {
                    for (;;) {
                        try {
                            ClientCalls.blockingUnaryCall(ch, TckService.QUICK, CallOptions.DEFAULT, Loopback.req("q"));
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE && refusedConnection(e)) {
                                refused.incrementAndGet(); // a new call after the drain began: go elsewhere
                            } else {
                                lost.add(e.getStatus());
                            }
                            return null;
                        }
                    }
                }));
            }
            List<Future<Integer>> streams = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                ManagedChannel ch = lb.channel();
                streams.add(clients.submit(() -> {
                    Iterator<Resp> it = ClientCalls.blockingServerStreamingCall(ch, TckService.TICKS,
                            CallOptions.DEFAULT, Loopback.req("t"));
                    int n = 0;
                    while (it.hasNext()) { // a stream that does not end OK throws here
                        it.next();
                        n++;
                    }
                    return n;
                }));
            }
            streaming.await();
            Loopback.awaitTrue(() -> ok.get() >= 500); // the load runs
            lb.shutdown.initiate("test: SIGTERM under load");
            for (Future<?> loop : loops) {
                loop.get(); // each ends at its first refused call
            }
            for (Future<Integer> s : streams) {
                assertTrue(s.get() > 0, "every stream ends with OK after its ticks");
            }
            ShutdownReport report = lb.shutdown.awaitTermination();
            assertEquals(List.of(), lost, "calls that got another answer than OK or a refused connection (" + ok.get()
                    + " OK)");
            assertEquals(8, refused.get(), "every client's first call after the drain began is refused at once");
            assertEquals(false, streamInterrupted.get(), "the streams end on the soft stop, never an interrupt");
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
            assertEquals(0, report.exitCode(), report::toText);
            IngressDescription d = report.ingresses().get(0);
            assertEquals(ok.get() + 4, d.completed(), () -> "the server answered what the clients saw: " + d);
            assertEquals(d.accepted(), d.completed(), d::toString);
            assertEquals(0, d.cancelled(), d::toString);
            StatusRuntimeException after = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> ClientCalls.blockingUnaryCall(lb.channel(), TckService.QUICK, CallOptions.DEFAULT,
                            Loopback.req("late")));
            assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode(), "a new call after the drain: " + after);
        }
    }

    /**
     * Past the budget (a short grace period), the calls still running are cancelled: their clients see CANCELLED,
     * the report counts them cancelled (outcome FORCED), and a handler that ignores its interrupt is listed as a
     * straggler, with its call's scope path.
     */
    @Test
    void pastTheBudget_theClientSeesCancelled_andTheReportListsTheStragglers() throws Exception {
        var entered = new CountDownLatch(3);
        var release = new CountDownLatch(1);
        ServerCalls.UnaryMethod<Req, Resp> slow = (req, out) -> {
            entered.countDown();
            if (req.getName().equals("stubborn")) {
                Loopback.awaitIgnoringInterrupts(release); // a straggler
                return;
            }
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // cancelled: the adapter answers CANCELLED
            }
        };
        var service = TckService.service((req, out) -> TckService.reply(out, "quick"), slow,
                (req, out) -> out.onError(Status.UNIMPLEMENTED.asRuntimeException()));
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofSeconds(1)))) {
            List<Future<Status>> calls = new ArrayList<>();
            for (String name : List.of("a", "b", "stubborn")) {
                ManagedChannel ch = lb.channel();
                calls.add(clients.submit(() -> {
                    try {
                        ClientCalls.blockingUnaryCall(ch, TckService.SLOW, CallOptions.DEFAULT, Loopback.req(name));
                        return Status.OK;
                    } catch (StatusRuntimeException e) {
                        return e.getStatus();
                    }
                }));
            }
            entered.await();
            lb.shutdown.initiate("test: past the budget");
            ShutdownReport report = lb.shutdown.awaitTermination();
            try {
                assertEquals(Status.Code.CANCELLED, calls.get(0).get().getCode(), () -> "" + calls);
                assertEquals(Status.Code.CANCELLED, calls.get(1).get().getCode(), () -> "" + calls);
                Loopback.assertForcedWithAStraggler(report, calls.get(2).get(), 3);
            } finally {
                release.countDown();
            }
        }
    }
}
