package dev.quiesce.grpc.tck;

import dev.quiesce.grpc.test.Req;
import dev.quiesce.grpc.test.Resp;
import dev.quiesce.tck.Closure;
import dev.quiesce.tck.IngressClient;
import dev.quiesce.tck.Reply;
import dev.quiesce.tck.Route;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The kit's client steps for gRPC: a "connection" is one grpc-java channel (one HTTP/2 connection, created and
 * connected by {@link #open()}), on which the kit's routes are unary calls ({@link TckService#QUICK},
 * {@link TckService#SLOW}). What the client sees maps to the kit's terms: gRPC OK is OK, {@code UNAVAILABLE} and
 * {@code CANCELLED} are "unavailable"; a reply is "told to leave" when its trailers carry the adapter's
 * {@code quiesce-going-away} (it was sent once the server had sent, or was sending, its GOAWAY); a connection's
 * end is seen on its Netty channel (closed cleanly, or reset: an IOException on read). A new call refused at once
 * (no listener: {@code UNAVAILABLE} from the connect) is REFUSED.
 */
public final class GrpcClient implements IngressClient {
    private static final Metadata.Key<String> GOING_AWAY = Metadata.Key.of("quiesce-going-away",
            Metadata.ASCII_STRING_MARSHALLER);
    private final InetSocketAddress address;

    /** A client of the server at {@code address}. */
    public GrpcClient(InetSocketAddress address) {
        this.address = address;
    }

    @Override
    public Connection open() throws IOException {
        GrpcConnection c = new GrpcConnection(address);
        try {
            c.connect(Duration.ofSeconds(10));
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override
    public ConnectOutcome tryConnect(Duration bound) {
        try (GrpcConnection c = new GrpcConnection(address)) {
            Reply r = c.call(Route.QUICK, bound);
            if (r.status() == Reply.Status.OK) {
                return ConnectOutcome.ACCEPTED;
            }
            return r.code() == Status.Code.DEADLINE_EXCEEDED.value() ? ConnectOutcome.HUNG : ConnectOutcome.REFUSED;
        }
    }

    @Override
    public Connection openStalled() throws IOException {
        return new Stalled(address);
    }

    /** Maps a gRPC status to the kit's reply. */
    static Reply reply(Status status, Metadata trailers, String body) {
        boolean leave = trailers != null && trailers.containsKey(GOING_AWAY);
        Reply.Status s = switch (status.getCode()) {
            case OK -> Reply.Status.OK;
            case UNAVAILABLE, CANCELLED -> Reply.Status.UNAVAILABLE;
            default -> Reply.Status.OTHER;
        };
        return new Reply(s, status.getCode().value(), leave, status.isOk() ? body : "");
    }

    /** One channel, on its own event loop, whose Netty channel's end is watched. */
    static final class GrpcConnection implements Connection {
        private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final ManagedChannel channel;
        private final AtomicReference<Watched> first = new AtomicReference<>();
        /** Whether a TCP connection was made since {@link #connect} last looked. */
        private final AtomicBoolean connected = new AtomicBoolean();

        GrpcConnection(InetSocketAddress address) {
            channel = NettyChannelBuilder.forAddress(address).usePlaintext().eventLoopGroup(loop)
                    .channelFactory(() -> {
                        Watched w = new Watched(connected);
                        first.compareAndSet(null, w);
                        return w;
                    }).disableRetry().build();
        }

        /**
         * Connects now; {@link ConnectException} if refused. With pick-first and one address, an attempt that
         * ends leaves the channel IDLE: refused (no TCP connection was made), or accepted and sent away at once
         * (the server's GOAWAY, when it comes before this thread has seen READY). A client told to leave
         * connects again, as the kit's clients do, until it is refused or connected. Each wait is registered
         * before the connection is asked for, so an attempt that ends before this thread looks is still seen.
         */
        void connect(Duration bound) throws IOException {
            long deadline = System.nanoTime() + bound.toNanos();
            ConnectivityState s = channel.getState(false);
            boolean request = true;
            boolean changed = false;
            while (s != ConnectivityState.READY) {
                if (s == ConnectivityState.TRANSIENT_FAILURE || s == ConnectivityState.SHUTDOWN) {
                    throw new ConnectException("connection to the gRPC server refused (" + s + ")");
                }
                if (changed && s == ConnectivityState.IDLE) {
                    if (!connected.getAndSet(false)) {
                        throw new ConnectException("connection to the gRPC server refused (" + s + ")");
                    }
                    first.set(null); // the next Netty channel is this connection's
                    request = true;
                }
                CountDownLatch change = new CountDownLatch(1);
                channel.notifyWhenStateChanged(s, change::countDown);
                if (request) {
                    channel.getState(true);
                    request = false;
                }
                try {
                    if (!change.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        throw new IOException("no connection to the gRPC server within " + bound + " (" + s + ")");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while connecting", e);
                }
                changed = true;
                s = channel.getState(false);
            }
        }

        @Override
        public Reply call(Route route) {
            return call(route, null);
        }

        Reply call(Route route, Duration deadline) {
            MethodDescriptor<Req, Resp> method = route == Route.QUICK ? TckService.QUICK : TckService.SLOW;
            AtomicReference<Metadata> headers = new AtomicReference<>(), trailers = new AtomicReference<>();
            CallOptions options = deadline == null ? CallOptions.DEFAULT
                    : CallOptions.DEFAULT.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
            try {
                Resp r = ClientCalls.blockingUnaryCall(ClientInterceptors.intercept(channel,
                        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)), method, options,
                        Req.newBuilder().setName(route.name()).build());
                return reply(Status.OK, trailers.get(), r.getBody());
            } catch (StatusRuntimeException e) {
                return reply(e.getStatus(), e.getTrailers(), "");
            }
        }

        @Override
        public Closure awaitClosed(Duration bound) {
            Watched w = first.get();
            if (w == null) {
                return Closure.STILL_OPEN;
            }
            try {
                if (!w.inactive.await(bound.toNanos(), TimeUnit.NANOSECONDS)) {
                    return Closure.STILL_OPEN;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Closure.STILL_OPEN;
            }
            return w.reset ? Closure.RESET : Closure.CLEAN;
        }

        @Override
        public void close() {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** A Netty channel that records how it ended: a reset (an IOException on read) or a clean close. */
    static final class Watched extends NioSocketChannel {
        final CountDownLatch inactive = new CountDownLatch(1);
        volatile boolean reset;

        Watched(AtomicBoolean connected) {
            pipeline().addFirst(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    connected.set(true);
                    ctx.fireChannelActive();
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    if (cause instanceof IOException) {
                        reset = true;
                    }
                    ctx.fireExceptionCaught(cause);
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    inactive.countDown();
                    ctx.fireChannelInactive();
                }
            });
        }
    }

    /** A raw connection that sent half of the HTTP/2 client preface and stops: a stalled client. */
    static final class Stalled implements Connection {
        private final Socket socket = new Socket(java.net.Proxy.NO_PROXY);

        Stalled(InetSocketAddress address) throws IOException {
            socket.connect(address, 10_000);
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        @Override
        public Reply call(Route route) throws IOException {
            throw new IOException("a stalled connection sends no request");
        }

        @Override
        public Closure awaitClosed(Duration bound) {
            long deadline = System.nanoTime() + bound.toNanos();
            byte[] buf = new byte[4096];
            try {
                InputStream in = socket.getInputStream();
                for (;;) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        return Closure.STILL_OPEN;
                    }
                    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                    if (in.read(buf) < 0) {
                        return Closure.CLEAN;
                    }
                }
            } catch (SocketTimeoutException e) {
                return Closure.STILL_OPEN;
            } catch (SocketException e) {
                return Closure.RESET;
            } catch (IOException e) {
                return Closure.RESET;
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
