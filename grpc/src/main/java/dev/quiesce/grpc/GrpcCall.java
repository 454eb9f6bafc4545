package dev.quiesce.grpc;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.FailedException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.HandoffScope;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.IngressCounts;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call that reached the interceptor: counted in flight from its creation until grpc-java says it is over
 * ({@code onComplete} or {@code onCancel}, on grpc's thread). grpc's callbacks (the messages, the half-close,
 * the end) are queued, in order, to the call's own virtual thread in the scope tree ({@link #run()}), which
 * opens the call's scope ({@code /<shutdown>/grpc/call-N}) and delivers them to the application's handler
 * there, with the call's {@link Context} attached.
 *
 * <p>The bridge, both ways: a Quiesce cancel of the call's scope (the shutdown's CANCEL phase,
 * {@code forceClose()}) cancels the call's {@link Context.CancellableContext} (and interrupts the handler, which
 * the engine does), and the client gets {@code CANCELLED}; a client's cancel or deadline cancels the call's
 * context, which cancels the call's scope (the handler's subtasks and inner scopes stop) and interrupts the
 * handler. A handler that fails otherwise is logged once, at ERROR, and the client gets {@code UNKNOWN}
 * ({@code "Application error processing RPC"}, as grpc-java answers), never the exception's text.
 *
 * <p>Thread-safe: grpc's callbacks come from grpc's threads; the application's listener is called from the
 * call's thread only.
 */
final class GrpcCall<ReqT, RespT> extends ServerCall.Listener<ReqT> implements HandoffScope.Work {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcCall.class);
    /** The trailer of a response sent once the server has begun to tell clients to leave (GOAWAY). */
    static final Metadata.Key<String> GOING_AWAY = Metadata.Key.of("quiesce-going-away",
            Metadata.ASCII_STRING_MARSHALLER);

    private final GrpcIngress ingress;
    private final Closing call;
    private final Metadata headers;
    private final ServerCallHandler<ReqT, RespT> next;
    private final Context.CancellableContext context;
    private final IngressCounts.Ticket ticket;
    private final Connection connection;
    private final LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Set once the application's listener has its terminal callback queued. */
    private final Runnable complete = this::deliverComplete, cancel = this::deliverCancel;
    private volatile ServerCall.Listener<ReqT> app;
    private volatile Thread thread;
    private volatile Scope<Object, Void> scope;
    private volatile boolean rejected, shutdownCancelled, clientCancelled;
    /** The application's listener had its terminal callback ({@code onComplete} or {@code onCancel}); call's thread. */
    private boolean terminalDelivered;

    GrpcCall(GrpcIngress ingress, ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        this.ingress = ingress;
        this.call = new Closing(call);
        this.headers = headers;
        this.next = next;
        this.context = Context.current().withCancellation();
        this.ticket = ingress.counts().accept();
        this.connection = call.getAttributes().get(Connection.KEY); // null on a transport the filter did not see
        if (connection != null) {
            connection.callStarted();
        }
        context.addListener(this::contextCancelled, Runnable::run);
    }

    // ------------------------------------------------------------------ from grpc's threads

    @Override
    public void onMessage(ReqT message) {
        events.add(() -> app.onMessage(message));
    }

    @Override
    public void onHalfClose() {
        events.add(() -> app.onHalfClose());
    }

    @Override
    public void onReady() {
        events.add(() -> app.onReady());
    }

    @Override
    public void onComplete() {
        end(false);
        events.add(complete);
    }

    @Override
    public void onCancel() {
        end(true);
        events.add(cancel);
    }

    /** The call is over for grpc-java: counted once, then its ticket closes. */
    private void end(boolean byCancel) {
        if (ended.compareAndSet(false, true)) {
            boolean wasCancelled = rejected || (shutdownCancelled && !call.closedOk)
                    || (byCancel && (shutdownCancelled || ingress.forced()));
            call.answered(false); // a call that ended without a response (a cancel)
            ingress.counts().end(ticket, wasCancelled);
        }
    }

    /**
     * The call's context was cancelled: by grpc-java when the client cancelled or the deadline passed (and also,
     * harmlessly, once the call completed), or by the call's scope ({@link #shutdownCancel()}).
     */
    private void contextCancelled(Context c) {
        if (ended.get() || call.closeCalled.get() || shutdownCancelled) {
            return; // over, answered, or the shutdown's own cancel: nothing more to stop
        }
        clientCancelled = true;
        Scope<Object, Void> s = scope;
        if (s != null) {
            s.cancel(CancelReason.explicit(describeClientCancel(c)));
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt(); // the handler itself: it owns the call's scope, which a cancel does not interrupt
        }
    }

    private static String describeClientCancel(Context c) {
        Throwable cause = c.cancellationCause();
        Status s = cause == null ? Status.CANCELLED : Status.fromThrowable(cause);
        return s.getCode() == Status.Code.DEADLINE_EXCEEDED ? "the call's deadline passed"
                : "the client cancelled the call";
    }

    // ------------------------------------------------------------------ from the scope's owner

    /** Answers {@code UNAVAILABLE} without the handler: the server is shutting down. Counted as cancelled. */
    @Override
    public void reject() {
        rejected = true;
        call.closeQuietly(Status.UNAVAILABLE.withDescription("the server is shutting down: try another replica"));
        context.cancel(null);
    }

    // ------------------------------------------------------------------ on the call's thread

    /** In the call's virtual thread: opens the call's scope and delivers grpc's callbacks to the handler. */
    @Override
    public void run() {
        thread = Thread.currentThread();
        String threadName = thread.getName(); // <server's scope path>/call-N: the call's scope is named call-N
        String name = threadName.substring(threadName.lastIndexOf('/') + 1);
        Context previous = context.attach();
        try (Scope<Object, Void> s = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName(name))) {
            scope = s;
            s.onCancel(this::shutdownCancel); // ends with the scope
            if (clientCancelled) { // before the scope existed
                s.cancel(CancelReason.explicit("the client cancelled the call"));
            }
            serve(s);
            joinQuietly(s);
        } finally {
            context.detach(previous);
            context.cancel(null);
            Thread.interrupted(); // an interrupt meant for this call ends with it
            thread = null;
        }
    }

    /** The call's scope was cancelled: by the shutdown, unless the client's cancel did it. */
    private void shutdownCancel() {
        if (!clientCancelled) {
            shutdownCancelled = true;
            context.cancel(Status.CANCELLED.withDescription("the service is shutting down").asRuntimeException());
        }
    }

    private void serve(Scope<Object, Void> s) {
        try {
            app = next.startCall(call, headers);
            for (;;) {
                Runnable e = events.take();
                e.run();
                if (e == complete || e == cancel) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // cancelled while waiting for the client's next message: answered below
        } catch (RuntimeException | Error x) {
            if (!cancelled(s)) {
                LOG.error("handler of {} failed; answered UNKNOWN", call.getMethodDescriptor().getFullMethodName(), x);
                call.closeQuietly(Status.UNKNOWN.withDescription("Application error processing RPC"));
                return;
            }
        }
        if (cancelled(s)) {
            call.closeQuietly(Status.CANCELLED.withDescription(clientCancelled ? "the call was cancelled"
                    : "the service is shutting down: the call was cancelled"));
            cancelApp();
        }
    }

    /**
     * The application's listener gets its terminal {@code onCancel()} when the call ends cancelled and it had no
     * terminal callback yet, as grpc-java calls it for a client's cancel or {@code shutdownNow()}: a streaming
     * handler's request observer gets {@code onError(CANCELLED)}. Without it a handler that was waiting for its
     * client's next message (the call's thread was interrupted in the queue, or grpc reports a call the adapter
     * closed as complete) never learned its call was over.
     */
    private void cancelApp() {
        if (terminalDelivered || app == null) {
            return;
        }
        try {
            deliverCancel();
        } catch (RuntimeException | Error x) {
            LOG.debug("the listener of cancelled call {} failed in onCancel: {}",
                    call.getMethodDescriptor().getFullMethodName(), x.toString());
        }
    }

    private boolean cancelled(Scope<Object, Void> s) {
        return s.isCancelled() || clientCancelled || shutdownCancelled || Thread.currentThread().isInterrupted();
    }

    private void deliverComplete() {
        terminalDelivered = true;
        app.onComplete();
    }

    private void deliverCancel() {
        terminalDelivered = true;
        app.onCancel();
    }

    /** Waits for what the handler forked into the call's scope itself; a cancel or failure has been answered. */
    private static void joinQuietly(Scope<Object, Void> s) {
        try {
            s.join();
        } catch (CancelledException | FailedException e) {
            LOG.debug("the call's scope {} ended: {}", s.path(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The call as the handler sees it: remembers that it was closed, and says goodbye once the server leaves. */
    private final class Closing extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        final AtomicBoolean closeCalled = new AtomicBoolean();
        final AtomicBoolean answered = new AtomicBoolean();
        volatile boolean closedOk;

        Closing(ServerCall<ReqT, RespT> delegate) {
            super(delegate);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            closeCalled.set(true);
            closedOk = status.isOk();
            boolean goodbye = ingress.counts().leaving();
            if (goodbye) {
                trailers.put(GOING_AWAY, "1");
            }
            answered(goodbye); // before the response goes: see Connection
            super.close(status, trailers);
        }

        /** The call's connection is told the call has its answer (or ended without one); once. */
        void answered(boolean goodbye) {
            if (connection != null && answered.compareAndSet(false, true)) {
                connection.callAnswered(goodbye);
            }
        }

        /** Closes with {@code status} unless the call was closed already; never throws. */
        void closeQuietly(Status status) {
            if (closeCalled.get()) {
                return;
            }
            try {
                close(status, new Metadata());
            } catch (RuntimeException alreadyOver) {
                LOG.debug("could not close call {}: {}", getMethodDescriptor().getFullMethodName(),
                        alreadyOver.toString());
            }
        }
    }
}
