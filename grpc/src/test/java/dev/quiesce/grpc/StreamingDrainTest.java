package dev.quiesce.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Scope;
import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.ShutdownReport;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Client-streaming and bidi calls through the drain, on loopback with real grpc-java clients: counted in flight,
 * the soft stop first, OK when the client half-closes within the grace, UNAVAILABLE for new ones once the drain has
 * begun, CANCELLED past the grace, and a client's cancel of a bidi call stops what its handler forked.
 *
 * <p>The service {@code quiesce.test.Streams} (src/test/proto/tck.proto), bound by hand as {@code TckService} is.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamingDrainTest {
    private static final String SERVICE = "quiesce.test.Streams";
    /** {@code rpc Collect (stream Req) returns (Resp)}. */
    static final MethodDescriptor<Req, Resp> COLLECT = method("Collect", MethodDescriptor.MethodType.CLIENT_STREAMING);
    /** {@code rpc Chat (stream Req) returns (stream Resp)}. */
    static final MethodDescriptor<Req, Resp> CHAT = method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);
    /** What a Chat handler answers once its scope is asked to stop: the client half-closes on it. */
    private static final String STOPPING = "stopping";

    private final ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    private static MethodDescriptor<Req, Resp> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<Req, Resp>newBuilder().setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(ProtoUtils.marshaller(Req.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(Resp.getDefaultInstance())).build();
    }

    private static ServerServiceDefinition service(ServerCalls.ClientStreamingMethod<Req, Resp> collect,
            ServerCalls.BidiStreamingMethod<Req, Resp> chat) {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(COLLECT, ServerCalls.asyncClientStreamingCall(collect))
                .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(chat)).build();
    }

    private static Resp resp(String body) {
        return Resp.newBuilder().setBody(body).build();
    }

    /** Collect: counts the messages (noting the soft stop when a message comes after it), answers the count. */
    private static ServerCalls.ClientStreamingMethod<Req, Resp> collect(CountDownLatch receiving,
            CountDownLatch sawStop, List<Throwable> errors) {
        return out -> new StreamObserver<>() {
            int n;

            @Override
            public void onNext(Req value) {
                n++;
                receiving.countDown();
                if (Scope.stopRequested()) {
                    sawStop.countDown();
                }
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
                out.onNext(resp("collected " + n));
                out.onCompleted();
            }
        };
    }

    /** Chat: echoes each message until the soft stop, then answers {@link #STOPPING}; ends when the client does. */
    private static ServerCalls.BidiStreamingMethod<Req, Resp> chat(CountDownLatch receiving, CountDownLatch sawStop,
            List<Throwable> errors) {
        return out -> new StreamObserver<>() {
            boolean stopping;

            @Override
            public void onNext(Req value) {
                receiving.countDown();
                if (!stopping && Scope.stopRequested()) {
                    stopping = true;
                    sawStop.countDown();
                    out.onNext(resp(STOPPING));
                } else if (!stopping) {
                    out.onNext(resp("echo " + value.getName()));
                }
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
            }

            @Override
            public void onCompleted() {
                out.onCompleted();
            }
        };
    }

    /** A client's side of a stream: what it received and how the call ended. */
    private static final class Received implements StreamObserver<Resp> {
        final List<String> bodies = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final CountDownLatch stopping = new CountDownLatch(1);

        @Override
        public void onNext(Resp value) {
            bodies.add(value.getBody());
            if (value.getBody().equals(STOPPING)) {
                stopping.countDown();
            }
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    /**
     * Sends a message every few ms (the stream's own pace, not synchronisation) until {@code until} is open, then
     * waits for {@code halfClose} and half-closes; a client that never half-closes passes a latch never opened.
     */
    private Future<?> sendUntil(StreamObserver<Req> requests, CountDownLatch until, CountDownLatch halfClose) {
        return clients.submit(() -> {
            int i = 0;
            while (until.getCount() > 0) {
                requests.onNext(Loopback.req("m" + i++));
                Thread.sleep(5);
            }
            halfClose.await();
            requests.onCompleted();
            return null;
        });
    }

    /** A subtask: says it runs, sleeps until it is interrupted, says so. */
    private static void untilInterrupted(CountDownLatch running, CountDownLatch interrupted) {
        running.countDown();
        try {
            Thread.sleep(Duration.ofDays(1));
        } catch (InterruptedException e) {
            interrupted.countDown();
        }
    }

    /** A new call of {@code method} on a new channel, half-closed at once: how it ended. */
    private static Status newCall(Loopback lb, MethodDescriptor<Req, Resp> method) throws Exception {
        Received r = new Received();
        ManagedChannel ch = lb.channel();
        StreamObserver<Req> requests = method == COLLECT
                ? ClientCalls.asyncClientStreamingCall(ch.newCall(method, CallOptions.DEFAULT), r)
                : ClientCalls.asyncBidiStreamingCall(ch.newCall(method, CallOptions.DEFAULT), r);
        requests.onNext(Loopback.req("late"));
        requests.onCompleted();
        return r.closed.get();
    }

    /**
     * A client stream and a bidi stream in flight at the trigger are counted in flight, see the soft stop
     * ({@code Scope.stopRequested()}), and complete OK when their clients half-close within the grace; new calls of
     * either kind once the drain has begun get UNAVAILABLE; the outcome is CLEAN and both count as drained.
     */
    @Test
    void aClientStreamAndABidiStream_seeTheSoftStop_andCompleteOkWhenTheClientHalfCloses() throws Exception {
        var errors = new CopyOnWriteArrayList<Throwable>();
        CountDownLatch collectReceiving = new CountDownLatch(1), chatReceiving = new CountDownLatch(1);
        CountDownLatch collectSawStop = new CountDownLatch(1), chatSawStop = new CountDownLatch(1);
        var halfClose = new CountDownLatch(1);
        var service = service(collect(collectReceiving, collectSawStop, errors),
                chat(chatReceiving, chatSawStop, errors));
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofMinutes(10)))) {
            Received collected = new Received();
            StreamObserver<Req> collect = ClientCalls.asyncClientStreamingCall(
                    lb.channel().newCall(COLLECT, CallOptions.DEFAULT), collected);
            Received chatted = new Received();
            StreamObserver<Req> chat = ClientCalls.asyncBidiStreamingCall(
                    lb.channel().newCall(CHAT, CallOptions.DEFAULT), chatted);
            Future<?> collecting = sendUntil(collect, collectSawStop, halfClose);
            Future<?> chatting = sendUntil(chat, chatted.stopping, halfClose);
            collectReceiving.await();
            chatReceiving.await();
            assertEquals(2, lb.grpc.ingress().inFlight().inFlight(), "both streams are calls in flight");

            lb.shutdown.initiate("test: streams at the trigger");
            collectSawStop.await(); // the handlers see the soft stop while their streams go on
            chatSawStop.await();
            chatted.stopping.await();
            assertEquals(2, lb.grpc.ingress().inFlight().inFlight(), "the drain waits for both streams");
            assertEquals(Status.Code.UNAVAILABLE, newCall(lb, COLLECT).getCode(), "a new client stream in the drain");
            assertEquals(Status.Code.UNAVAILABLE, newCall(lb, CHAT).getCode(), "a new bidi stream in the drain");

            halfClose.countDown(); // the clients finish, within the grace
            collecting.get();
            chatting.get();
            assertEquals(Status.OK, collected.closed.get(), "the client stream ends OK");
            assertTrue(collected.bodies.size() == 1 && collected.bodies.get(0).startsWith("collected "),
                    () -> "its one answer: " + collected.bodies);
            assertEquals(Status.OK, chatted.closed.get(), "the bidi stream ends OK");
            assertEquals(STOPPING, chatted.bodies.get(chatted.bodies.size() - 1), () -> "" + chatted.bodies);
            ShutdownReport report = lb.shutdown.awaitTermination();
            assertEquals(List.of(), errors, "no handler saw an error");
            assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
            assertEquals(0, report.exitCode(), report::toText);
            IngressDescription d = report.ingresses().get(0);
            assertEquals(2, d.drained(), d::toString);
            assertEquals(0, d.inFlight(), d::toString);
            assertEquals(2, d.accepted(), () -> "the late calls never reached the server (refused): " + d);
            assertEquals(2, d.completed(), d::toString);
            assertEquals(0, d.cancelled(), d::toString);
        }
    }

    /**
     * Past the grace, a client stream and a bidi stream whose clients never half-close are cancelled: the clients
     * see CANCELLED, the handlers' request observers get the error, the report counts them cancelled (FORCED), and
     * a bidi handler that ignores its interrupt is listed as a straggler.
     */
    @Test
    void pastTheGrace_streamsAreCancelled_andTheReportListsThem() throws Exception {
        var collecting = new CountDownLatch(1);
        var chatting = new CountDownLatch(1);
        var stubbornEntered = new CountDownLatch(1);
        var never = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        var errors = new CopyOnWriteArrayList<Throwable>();
        ServerCalls.BidiStreamingMethod<Req, Resp> chat = out -> new StreamObserver<>() {
            final StreamObserver<Req> polite = chat(chatting, new CountDownLatch(1), errors).invoke(out);

            @Override
            public void onNext(Req value) {
                if (!value.getName().equals("stubborn")) {
                    polite.onNext(value);
                    return;
                }
                stubbornEntered.countDown();
                Loopback.awaitIgnoringInterrupts(release); // a straggler
            }

            @Override
            public void onError(Throwable t) {
                polite.onError(t);
            }

            @Override
            public void onCompleted() {
                polite.onCompleted();
            }
        };
        var service = service(collect(collecting, new CountDownLatch(1), errors), chat);
        try (var lb = new Loopback(service, b -> b.gracePeriod(Duration.ofSeconds(1)))) {
            Received collected = new Received();
            sendUntil(ClientCalls.asyncClientStreamingCall(lb.channel().newCall(COLLECT, CallOptions.DEFAULT),
                    collected), never, never);
            Received chatted = new Received();
            sendUntil(ClientCalls.asyncBidiStreamingCall(lb.channel().newCall(CHAT, CallOptions.DEFAULT), chatted),
                    never, never);
            Received stubborn = new Received();
            StreamObserver<Req> stubbornRequests = ClientCalls.asyncBidiStreamingCall(
                    lb.channel().newCall(CHAT, CallOptions.DEFAULT), stubborn);
            stubbornRequests.onNext(Loopback.req("stubborn"));
            collecting.await();
            chatting.await();
            stubbornEntered.await();
            lb.shutdown.initiate("test: streams past the grace");
            ShutdownReport report = lb.shutdown.awaitTermination();
            try {
                assertEquals(Status.Code.CANCELLED, collected.closed.get().getCode(), "the client stream's client");
                assertEquals(Status.Code.CANCELLED, chatted.closed.get().getCode(), "the bidi stream's client");
                Loopback.assertForcedWithAStraggler(report, stubborn.closed.get(), 3);
                assertEquals(2, errors.size(), () -> "the two polite handlers' request observers get the cancel: "
                        + errors);
                for (Throwable t : errors) {
                    assertEquals(Status.Code.CANCELLED, Status.fromThrowable(t).getCode(), t::toString);
                }
            } finally {
                release.countDown();
            }
        }
    }

    /**
     * A client's cancel of a bidi call cancels the call's scope: a subtask the handler forked into it (and left
     * running between messages) is interrupted and stops, and the handler's request observer gets CANCELLED. A
     * client's own cancel is not the shutdown's: the call counts as completed.
     */
    @Test
    void aClientCancelOfABidiCall_cancelsTheCallsScope_andAForkedSubtaskStops() throws Exception {
        var forked = new CountDownLatch(1);
        var subtaskInterrupted = new CountDownLatch(1);
        var callScope = new AtomicReference<Scope<?, ?>>();
        var errors = new CopyOnWriteArrayList<Throwable>();
        var handlerError = new CountDownLatch(1);
        ServerCalls.BidiStreamingMethod<Req, Resp> chat = out -> new StreamObserver<>() {
            final AtomicBoolean started = new AtomicBoolean();

            @Override
            public void onNext(Req value) {
                if (started.compareAndSet(false, true)) {
                    Scope<?, ?> s = Scope.current(); // the call's scope: the subtask lives as long as the call
                    callScope.set(s);
                    s.fork(() -> untilInterrupted(forked, subtaskInterrupted));
                }
                out.onNext(resp("echo " + value.getName()));
            }

            @Override
            public void onError(Throwable t) {
                errors.add(t);
                handlerError.countDown();
            }

            @Override
            public void onCompleted() {
                out.onCompleted();
            }
        };
        var service = service(collect(new CountDownLatch(1), new CountDownLatch(1), errors), chat);
        try (var lb = new Loopback(service, b -> b)) {
            ClientCall<Req, Resp> call = lb.channel().newCall(CHAT, CallOptions.DEFAULT);
            Received chatted = new Received();
            StreamObserver<Req> requests = ClientCalls.asyncBidiStreamingCall(call, chatted);
            requests.onNext(Loopback.req("hello"));
            forked.await();
            call.cancel("the client gives up", null);
            subtaskInterrupted.await();
            assertTrue(callScope.get().isCancelled(), "the call's scope is cancelled by the client's cancel");
            assertEquals(Status.Code.CANCELLED, chatted.closed.get().getCode());
            handlerError.await();
            assertEquals(Status.Code.CANCELLED, Status.fromThrowable(errors.get(0)).getCode(), () -> "" + errors);
            Loopback.awaitTrue(() -> lb.grpc.ingress().inFlight().inFlight() == 0);
            IngressDescription d = lb.grpc.ingress().describe();
            assertEquals(1, d.completed(), "a client's cancel is not the shutdown's: " + d);
            assertEquals(0, d.cancelled(), d::toString);
        }
    }
}
