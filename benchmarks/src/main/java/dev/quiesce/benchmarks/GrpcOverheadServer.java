package dev.quiesce.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.quiesce.grpc.QuiesceGrpc;
import dev.quiesce.shutdown.Shutdown;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server side of {@code benchmarks/grpc-overhead.sh}: the unary call {@code /bench.Echo/Echo} (its request's
 * bytes are not parsed; the answer is a fixed 3-byte message) on grpc-java with the Netty transport, either plain
 * ({@code plain}: {@code NettyServerBuilder.forAddress(..)} with the service, grpc-java's default executor;
 * {@code plain-vt}: the same with a virtual thread per call as its executor, as the adapter runs handlers) or
 * through the adapter ({@code quiesce}: {@code QuiesceGrpc.builder(shutdown)} with the same service). Both count
 * the status of every call they close with the same interceptor (the application's: in the adapter it runs after
 * Quiesce's), so that the script can check that every response was {@code grpc-status: 0}: {@code GET
 * http://127.0.0.1:COUNTER_PORT/} answers {@code ok N other M}. Prints {@code listening on 127.0.0.1:PORT} and
 * {@code counter on 127.0.0.1:PORT} once it serves; runs until SIGTERM.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.quiesce.benchmarks.GrpcOverheadServer plain|plain-vt|quiesce
 * </pre>
 */
public final class GrpcOverheadServer {
    /** The service's name; the method is {@code Echo}. */
    static final String SERVICE = "bench.Echo";
    private static final byte[] ANSWER = {0x0a, 0x01, 'k'}; // a protobuf message: field 1, the string "k"

    private GrpcOverheadServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !(args[0].equals("plain") || args[0].equals("plain-vt") || args[0].equals("quiesce"))) {
            System.err.println("usage: GrpcOverheadServer plain|plain-vt|quiesce");
            System.exit(2);
        }
        Counting counting = new Counting();
        ServerServiceDefinition service = service();
        int port;
        if (args[0].startsWith("plain")) {
            NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(service).intercept(counting);
            if (args[0].equals("plain-vt")) {
                b.executor(Executors.newVirtualThreadPerTaskExecutor());
            }
            Server server = b.build().start();
            port = server.getPort();
        } else {
            Shutdown shutdown = Shutdown.builder().platformBudget(Duration.ofSeconds(30)).preDrainDelay(Duration.ZERO)
                    .start();
            QuiesceGrpc grpc = QuiesceGrpc.builder(shutdown).bind("127.0.0.1", 0).addService(service)
                    .configure(b -> b.intercept(counting)).start();
            shutdown.markReady();
            port = grpc.port();
        }
        HttpServer counter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        counter.createContext("/", exchange -> {
            byte[] body = ("ok " + counting.ok.sum() + " other " + counting.other.sum() + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        counter.start();
        System.out.println("listening on 127.0.0.1:" + port);
        System.out.println("counter on 127.0.0.1:" + counter.getAddress().getPort());
        System.out.flush();
        Thread.sleep(Duration.ofDays(1)); // serving until SIGTERM
    }

    /** {@code rpc Echo (bytes) returns (bytes)}: answers {@link #ANSWER}, whatever it is sent. */
    static ServerServiceDefinition service() {
        MethodDescriptor<byte[], byte[]> echo = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Echo"))
                .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
        return ServerServiceDefinition.builder(SERVICE).addMethod(echo, ServerCalls.asyncUnaryCall((req, out) -> {
            out.onNext(ANSWER);
            out.onCompleted();
        })).build();
    }

    /** A message as its bytes. */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Counts the calls the server closes: with OK, and with any other status. */
    private static final class Counting implements ServerInterceptor {
        final LongAdder ok = new LongAdder();
        final LongAdder other = new LongAdder();

        @Override
        public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
                ServerCallHandler<ReqT, RespT> next) {
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    (status.isOk() ? ok : other).increment();
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
