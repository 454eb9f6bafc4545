package dev.quiesce.samples;

import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * Sample 16: a Jetty 12 server that finishes its slow requests and its kept-alive clients' next requests after
 * SIGTERM, where Jetty's own {@code stop()} cuts them.
 *
 * <p>Jetty is the server Javalin, Dropwizard and Spring Boot's Jetty option embed. The obvious graceful stop, a
 * JVM shutdown hook that calls {@code server.stop()}, is graceful only if the application remembered to put a
 * {@code GracefulHandler} in the handler tree and to set a stop timeout; without them (Jetty's defaults) the
 * connectors stop at once and every connection is closed: each request in flight ends without a response, and a
 * client whose kept-alive connection was idle finds it closed under its next request.
 *
 * <p>{@link QuiesceJetty} is the same Jetty server, made to drain with a {@link Shutdown} (its own handler goes
 * first in the tree, so no {@code GracefulHandler} is needed): on SIGTERM the listening socket closes (a new
 * connection is refused at once, so a client retries on another replica), every request in flight runs to its
 * end, a request that arrives on a connection already open is still served, with {@code Connection: close}, and
 * then the connection is closed cleanly; the server stops the moment the last request is done.
 *
 * <p>The pair, each with 20 requests of 1.5 s in flight and one client on a kept-alive connection:
 * <ul>
 *   <li>{@code wrong()}: a plain Jetty {@code Server} (its defaults, no {@code GracefulHandler}) and
 *       {@code server.stop()}, as a shutdown hook calls it; then the kept-alive client sends its next request.
 *   <li>{@code right()}: a {@code QuiesceJetty} server; SIGTERM to this process; once the drain has begun the
 *       kept-alive client sends its next request, and a new connection is tried.
 * </ul>
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample16_JettyDraining
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: 20 requests of 1500 ms in flight on a plain Jetty Server, a kept-alive client idle; server.stop()
 * wrong: 0 of 20 answered, 20 cut: the connection closed without a response
 * wrong: the kept-alive client's next request: the connection was closed under it, no response
 * right: 20 requests of 1500 ms in flight on QuiesceJetty, a kept-alive client idle; sending SIGTERM to myself
 * right: phase DRAIN: the requests in flight run to the end
 * right: the kept-alive client's next request: answered 200, with Connection: close, then a clean close
 * right: a new connection during DRAIN: refused (the client retries on another replica)
 * right: 20 of 20 answered 200
 * shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0, total ... ms
 *   ... one line per phase ...
 *   ingress jetty (HTTP/1.1+h2c on 127.0.0.1:...): 22 accepted, 22 completed (21 while draining), 0 cancelled, 0 in flight
 * verdict: Jetty's stop() cuts all 20 requests in flight and the kept-alive client's next one; QuiesceJetty answers all 21 and exits 0
 * </pre>
 * The process exits 0. Quiesce's and Jetty's own log lines go to standard error.
 */
public final class Sample16_JettyDraining {
    private Sample16_JettyDraining() {}

    /** Requests in flight at the stop. */
    static final int REQUESTS = 20;

    /** How long each slow request works: long enough to be in flight at the stop. */
    static final long WORK_MS = 1500;

    private static void say(String line) {
        System.out.println(line);
    }

    public static void main(String[] args) throws Exception {
        Outcome wrong = wrong();
        Outcome right = right();
        boolean asShown = wrong.answered() == 0 && !wrong.keptAliveAnswered()
                && right.answered() == REQUESTS && right.keptAliveAnswered()
                && right.report().outcome() == ShutdownReport.Outcome.CLEAN;
        say("verdict: " + (asShown
                ? "Jetty's stop() cuts all " + REQUESTS + " requests in flight and the kept-alive client's next one; "
                        + "QuiesceJetty answers all " + (REQUESTS + 1) + " and exits 0"
                : "unexpected: wrong answered " + wrong.answered() + " (kept-alive " + wrong.keptAliveAnswered()
                        + "), right " + right.answered() + " (kept-alive " + right.keptAliveAnswered() + "), "
                        + right.report().outcome()));
        System.exit(right.report().exitCode());
    }

    /** What one half saw: slow requests answered 200, whether the kept-alive client's next request was. */
    record Outcome(int answered, boolean keptAliveAnswered, ShutdownReport report) {}

    // ------------------------------------------------------------------ wrong

    /** A plain Jetty server and its stop(): the requests in flight and the kept-alive connection are cut. */
    static Outcome wrong() throws Exception {
        var app = new SlowApp();
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1"); // this machine only: the sample is its own client
        server.addConnector(connector);
        server.setHandler(app);
        server.start();
        int port = connector.getLocalPort();
        try (var keptAlive = new KeptAlive(port)) {
            keptAlive.call(); // its first request: the connection stays open
            List<CompletableFuture<Integer>> slow = send(client(), port, REQUESTS);
            app.awaitInFlight(REQUESTS);
            say("wrong: " + REQUESTS + " requests of " + WORK_MS + " ms in flight on a plain Jetty Server, a kept-alive"
                    + " client idle; server.stop()");
            server.stop(); // what a JVM shutdown hook calls
            int ok = count200(slow);
            say("wrong: " + ok + " of " + REQUESTS + " answered, " + (REQUESTS - ok) + " cut: the connection closed"
                    + " without a response");
            KeptAlive.Answer next = keptAlive.call();
            say("wrong: the kept-alive client's next request: " + next.describe());
            return new Outcome(ok, next.status() == 200, null);
        }
    }

    // ------------------------------------------------------------------ right

    /** QuiesceJetty and SIGTERM: every request in flight, and the kept-alive client's next one, answered. */
    static Outcome right() throws Exception {
        var drainStarted = new CountDownLatch(1);
        Shutdown shutdown = shutdown("sample16", "right: phase DRAIN: the requests in flight run to the end",
                drainStarted);
        var app = new SlowApp();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown)
                .bind("127.0.0.1", 0) // this machine only, any free port: the sample is its own client
                .handler(app)
                .start();
        shutdown.markReady();
        int port = jetty.port();
        try (var keptAlive = new KeptAlive(port)) {
            keptAlive.call();
            List<CompletableFuture<Integer>> slow = send(client(), port, REQUESTS);
            app.awaitInFlight(REQUESTS);
            say("right: " + REQUESTS + " requests of " + WORK_MS + " ms in flight on QuiesceJetty, a kept-alive client"
                    + " idle; sending SIGTERM to myself");
            sigtermToMyself();
            drainStarted.await();
            KeptAlive.Answer next = keptAlive.call();
            say("right: the kept-alive client's next request: " + next.describe()
                    + (next.status() == 200 ? ", then " + keptAlive.howClosed() : ""));
            say("right: a new connection during DRAIN: " + tryNewConnection(port));
            int ok = count200(slow);
            say("right: " + ok + " of " + REQUESTS + " answered 200");
            ShutdownReport report = shutdown.awaitTermination();
            System.out.print(report.toText());
            IngressDescription entry = jetty.ingress().describe();
            return new Outcome(ok, next.status() == 200 && entry.cancelled() == 0, report);
        }
    }

    /**
     * The right half's shutdown (sample 17's too). As in sample 03: a 30 s platform budget, a short pre-drain delay
     * (seconds behind a real load balancer, sample 06), a grace above the slowest request (sample 15); exit policy
     * RETURN: main prints what the clients saw, then exits. At DRAIN it prints {@code drainLine} and counts down
     * {@code drainStarted}.
     */
    static Shutdown shutdown(String name, String drainLine, CountDownLatch drainStarted) {
        return Shutdown.builder().name(name).exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofSeconds(30)).preDrainDelay(Duration.ofMillis(300))
                .gracePeriod(Duration.ofSeconds(5))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.DRAIN) {
                            say(drainLine);
                            drainStarted.countDown();
                        }
                    }
                })
                .start();
    }

    private static String tryNewConnection(int port) {
        try (var s = new Socket("127.0.0.1", port)) {
            return "accepted (unexpected) on " + s.getLocalSocketAddress();
        } catch (ConnectException e) {
            return "refused (the client retries on another replica)";
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    // ------------------------------------------------------------------ the application and the clients

    /** The application: {@code /slow} works 1.5 s, anything else answers at once; both say {@code done}. */
    static final class SlowApp extends Handler.Abstract {
        private final AtomicInteger inFlight = new AtomicInteger();

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            if (Request.getPathInContext(request).equals("/slow")) {
                inFlight.incrementAndGet();
                try {
                    Thread.sleep(WORK_MS); // cancelled (interrupted), the adapter answers 503
                } finally {
                    inFlight.decrementAndGet();
                }
            }
            response.write(true, ByteBuffer.wrap("done\n".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }

        void awaitInFlight(int n) throws InterruptedException {
            while (inFlight.get() < n) {
                Thread.sleep(5);
            }
        }
    }

    /** A client on one kept-alive HTTP/1.1 connection, on a plain socket: it sees a close that a library hides. */
    static final class KeptAlive implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;

        /** An answer: the status (-1: the connection was closed without one) and whether it said Connection: close. */
        record Answer(int status, boolean connectionClose) {
            String describe() {
                return status < 0 ? "the connection was closed under it, no response"
                        : "answered " + status + (connectionClose ? ", with Connection: close" : ", kept alive");
            }
        }

        KeptAlive(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
        }

        /** {@code GET /quick} on the connection; the answer, or -1 if the connection is closed or reset. */
        Answer call() {
            try {
                OutputStream out = socket.getOutputStream();
                out.write("GET /quick HTTP/1.1\r\nHost: sample\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String status = line();
                if (status == null) {
                    return new Answer(-1, false);
                }
                boolean close = false;
                int length = 0;
                for (String h = line(); h != null && !h.isEmpty(); h = line()) {
                    String lower = h.toLowerCase(Locale.ROOT);
                    close |= lower.startsWith("connection:") && lower.contains("close");
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(lower.substring("content-length:".length()).trim());
                    }
                }
                in.readNBytes(length);
                return new Answer(Integer.parseInt(status.split(" ")[1]), close);
            } catch (IOException e) {
                return new Answer(-1, false); // reset, or closed in the middle
            }
        }

        /** After a response with Connection: close: how the server ended the connection. */
        String howClosed() {
            try {
                return in.read() < 0 ? "a clean close" : "more data (unexpected)";
            } catch (IOException e) {
                return "a reset (" + e.getMessage() + ")";
            }
        }

        private String line() throws IOException {
            var b = new StringBuilder();
            for (int c = in.read(); c >= 0; c = in.read()) {
                if (c == '\n') {
                    return b.toString().strip();
                }
                b.append((char) c);
            }
            return b.isEmpty() ? null : b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // plain HTTP/1.1, as behind a load balancer
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** {@code n} slow requests, each on its own connection; each future is its status, -1 without a response. */
    private static List<CompletableFuture<Integer>> send(HttpClient client, int port, int n) {
        List<CompletableFuture<Integer>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow"))
                    .timeout(Duration.ofSeconds(10)).build();
            futures.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .handle((r, error) -> error != null ? -1 : r.statusCode()));
        }
        return futures;
    }

    private static int count200(List<CompletableFuture<Integer>> futures) throws Exception {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        return (int) futures.stream().filter(f -> f.join() == 200).count();
    }

    /** SIGTERM to this process, standing in for the kubelet stopping the pod (sample 17's too). */
    static void sigtermToMyself() throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        int exit = new ProcessBuilder("kill", "-TERM", String.valueOf(pid)).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("kill -TERM " + pid + " exited with " + exit);
        }
    }
}
