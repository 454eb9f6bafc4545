package dev.quiesce.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Scope;
import dev.quiesce.grpc.tck.TckService;
import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.ShutdownReport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each call runs in the scope tree, and cancellation crosses between the call's scope and its io.grpc.Context. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CallScopeTest {
    private static final ServerCalls.UnaryMethod<Req, Resp> NONE = (req, out) -> out.onError(
            Status.UNIMPLEMENTED.asRuntimeException());
    private static final ServerCalls.ServerStreamingMethod<Req, Resp> NO_STREAM = (req, out) -> out.onError(
            Status.UNIMPLEMENTED.asRuntimeException());

    @Test
    void aCall_runsInItsOwnScope_underTheServersScope_inAThreadOfTheSamePath() throws Exception {
        var path = new AtomicReference<String>();
        var thread = new AtomicReference<String>();
        var service = TckService.service((req, out) -> {
            path.set(Scope.current().path());
            thread.set(Thread.currentThread().getName());
            TckService.reply(out, "quick");
        }, NONE, NO_STREAM);
        try (var lb = new Loopback(service, b -> b)) {
            Resp r = ClientCalls.blockingUnaryCall(lb.channel(), TckService.QUICK, CallOptions.DEFAULT,
                    Loopback.req("q"));
            assertEquals("quick", r.getBody());
            assertTrue(path.get().matches(".*/grpc/call-\\d+"), "the call's scope path: " + path.get());
            assertEquals(lb.shutdown.scope().path() + "/grpc/" + path.get().substring(path.get().lastIndexOf('/') + 1),
                    path.get(), "the call's scope is a child of the server's scope, which is the shutdown's");
            assertEquals(path.get(), thread.get(), "the call's thread is named by its scope path");
            assertTrue(Thread.ofVirtual().unstarted(() -> { }).isVirtual()); // sanity: the JDK can make one
        }
    }

    /** A client's cancel cancels the call's scope: the subtasks the handler forked are interrupted and stop. */
    @Test
    void aClientCancel_cancelsTheCallsScope_andTheHandlersSubtasksStop() throws Exception {
        var forked = new CountDownLatch(2);
        var interrupted = new AtomicInteger();
        var handlerEnded = new CountDownLatch(1);
        var service = TckService.service(NONE, (req, out) -> {
            try (var s = Scope.open()) {
                for (int i = 0; i < 2; i++) {
                    s.fork(() -> {
                        forked.countDown();
                        try {
                            Thread.sleep(Duration.ofDays(1));
                        } catch (InterruptedException e) {
                            interrupted.incrementAndGet();
                            throw e;
                        }
                        return null;
                    });
                }
                s.join();
            } catch (InterruptedException | RuntimeException e) {
                // cancelled: the adapter answers
            } finally {
                handlerEnded.countDown();
            }
        }, NO_STREAM);
        try (var lb = new Loopback(service, b -> b)) {
            ManagedChannel ch = lb.channel();
            ClientCall<Req, Resp> call = ch.newCall(TckService.SLOW, CallOptions.DEFAULT);
            var closed = new CompletableFuture<Status>();
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed.complete(status);
                }
            }, new Metadata());
            call.sendMessage(Loopback.req("slow"));
            call.halfClose();
            call.request(1);
            forked.await();
            call.cancel("the client gives up", null);
            handlerEnded.await();
            assertEquals(2, interrupted.get(), "both subtasks forked by the handler must be interrupted");
            assertEquals(Status.Code.CANCELLED, closed.get().getCode());
            Loopback.awaitTrue(() -> lb.grpc.ingress().inFlight().inFlight() == 0);
            IngressDescription d = lb.grpc.ingress().describe();
            assertEquals(1, d.completed(), "a client's cancel is not the shutdown's: " + d);
            assertEquals(0, d.cancelled(), d::toString);
        }
    }

    /** A deadline that passes cancels the call's scope too, and interrupts the handler itself. */
    @Test
    void aDeadline_cancelsTheCallsScope_andInterruptsTheHandler() throws Exception {
        var entered = new CountDownLatch(1);
        var scopeCancelled = new AtomicBoolean();
        var handlerInterrupted = new CountDownLatch(1);
        var service = TckService.service(NONE, (req, out) -> {
            Scope<?, ?> call = Scope.current();
            entered.countDown();
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                scopeCancelled.set(call.isCancelled());
                handlerInterrupted.countDown();
            }
        }, NO_STREAM);
        try (var lb = new Loopback(service, b -> b)) {
            var failure = new AtomicReference<StatusRuntimeException>();
            Thread client = Thread.ofVirtual().start(() -> {
                try {
                    ClientCalls.blockingUnaryCall(lb.channel(), TckService.SLOW,
                            CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS), Loopback.req("slow"));
                } catch (StatusRuntimeException e) {
                    failure.set(e);
                }
            });
            client.join(); // ends at the deadline, whatever the server did
            assertEquals(0, entered.getCount(), "precondition: the handler started before the deadline");
            handlerInterrupted.await();
            assertTrue(scopeCancelled.get(), "the call's scope must be cancelled when its deadline passes");
            assertEquals(Status.Code.DEADLINE_EXCEEDED, failure.get().getStatus().getCode());
        }
    }

    /**
     * A Quiesce cancel (the grace period is over) cancels the call's io.grpc.Context, interrupts the handler, and the
     * client gets CANCELLED; the report counts the call as cancelled.
     */
    @Test
    void aQuiesceCancel_cancelsTheCallsGrpcContext_andTheClientGetsCancelled() throws Exception {
        var entered = new CountDownLatch(1);
        var contextCancelled = new CountDownLatch(1);
        var contextCause = new AtomicReference<Throwable>();
        var service = TckService.service(NONE, (req, out) -> {
            Context.current().addListener(c -> {
                contextCause.set(c.cancellationCause());
                contextCancelled.countDown();
            }, Runnable::run);
            entered.countDown();
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the adapter answers the cancelled call
            }
        }, NO_STREAM);
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofMinutes(10)))) {
            var failure = new CompletableFuture<StatusRuntimeException>();
            Thread.ofVirtual().start(() -> {
                try {
                    ClientCalls.blockingUnaryCall(lb.channel(), TckService.SLOW, CallOptions.DEFAULT,
                            Loopback.req("s"));
                    failure.complete(null);
                } catch (StatusRuntimeException e) {
                    failure.complete(e);
                }
            });
            entered.await();
            lb.shutdown.initiate("test: a Quiesce cancel");
            lb.shutdown.readiness().await(dev.quiesce.shutdown.Readiness.State.DRAINING);
            lb.shutdown.escalate(); // the grace is over: cancel now
            ShutdownReport report = lb.shutdown.awaitTermination();
            contextCancelled.await();
            assertTrue(contextCause.get() != null, "the context is cancelled with a cause");
            assertEquals(Status.Code.CANCELLED, failure.get().getStatus().getCode(), () -> "the client: " + failure);
            IngressDescription d = report.ingresses().get(0);
            assertEquals(1, d.cancelled(), d::toString);
            assertEquals(ShutdownReport.Outcome.FORCED, report.outcome(), report::toText);
        }
    }

    /**
     * A server-streaming handler sees the soft stop first ({@code Scope.stopRequested()}, at the drain) and ends its
     * stream with OK, never interrupted; the drain waits for it.
     */
    @Test
    void aServerStream_seesStopRequestedFirst_andEndsWithOk() throws Exception {
        var interrupted = new AtomicBoolean();
        var streaming = new CountDownLatch(1);
        var service = TckService.service(NONE, NONE, (req, out) -> ticks(out, streaming, interrupted));
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofMinutes(10)))) {
            Iterator<Resp> ticks = ClientCalls.blockingServerStreamingCall(lb.channel(), TckService.TICKS,
                    CallOptions.DEFAULT, Loopback.req("t"));
            assertTrue(ticks.hasNext());
            ticks.next();
            streaming.await();
            lb.shutdown.initiate("test: a long stream at the trigger");
            int n = 1;
            while (ticks.hasNext()) { // throws StatusRuntimeException unless the stream ends with OK
                ticks.next();
                n++;
            }
            ShutdownReport report = lb.shutdown.awaitTermination();
            assertFalse(interrupted.get(), "the handler must end on the soft stop, not an interrupt");
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
            IngressDescription d = report.ingresses().get(0);
            assertEquals(1, d.drained(), d::toString);
            assertTrue(n >= 1);
        }
    }

    /** A stream of ticks until the soft stop; then OK. */
    static void ticks(StreamObserver<Resp> out, CountDownLatch streaming, AtomicBoolean interrupted) {
        int i = 0;
        try {
            while (!Scope.stopRequested()) {
                out.onNext(Resp.newBuilder().setBody("tick " + i++).build());
                streaming.countDown();
                Thread.sleep(5); // the stream's own pace, not synchronisation
            }
            out.onCompleted();
        } catch (InterruptedException e) {
            interrupted.set(true);
            Thread.currentThread().interrupt();
        }
    }
}
