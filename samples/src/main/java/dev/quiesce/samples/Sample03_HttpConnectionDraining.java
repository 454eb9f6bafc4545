package dev.quiesce.samples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sample 03: an HTTP server that finishes its slow requests after SIGTERM instead of dropping them.
 *
 * <p>During a rolling update Kubernetes sends SIGTERM to a pod that is still serving. Some requests are
 * half done: a report being rendered, a payment waiting for its provider. The obvious code, a JVM shutdown
 * hook that calls {@code server.stop(0)} on the JDK's {@link HttpServer}, closes every connection at once,
 * and the JVM exits a moment later anyway: every request in flight ends with a closed connection and no
 * response. Behind a load balancer that is a burst of 502s on every deploy, and a client cannot even tell
 * whether its payment went through.
 *
 * <p>{@link DrainingHttpServer} is the same JDK server, made to drain with a {@link Shutdown}. Every
 * exchange runs in its own virtual thread in the scope {@code /<shutdown>/http} and is counted by the
 * shutdown's {@linkplain Shutdown#inFlight() in-flight tracker}. On SIGTERM the sequence runs: READINESS
 * ({@code /health/ready} answers 503, sample 06; the pre-drain delay lets the load balancer notice),
 * STOP_ACCEPTING (the listening socket is closed: a new connection is refused at once, so a client retries
 * on another replica), DRAIN (the requests in flight run to the end, bounded by the grace period; the
 * server stops the moment the count reaches zero), and only then CANCEL, PERSIST, CLEANUP and REPORT. A
 * request that arrives once the server is draining is still served, and answered with
 * {@code Connection: close}, so that a keep-alive client opens its next connection elsewhere instead of
 * sending more requests into a closing server.
 *
 * <p>The pair, each with 20 requests of 1.5 s in flight when SIGTERM arrives:
 * <ul>
 *   <li>{@code wrong()}: a plain {@code HttpServer} with {@code server.stop(0)} in a JVM shutdown hook,
 *       run in a child JVM (the default reaction to SIGTERM ends the JVM, and this sample must go on).
 *       Every request fails without a response, and the child exits with code 143 (128 + SIGTERM).
 *   <li>{@code right()}: a {@code DrainingHttpServer} in this JVM. A request sent during the pre-drain
 *       delay, as a load balancer that has not yet noticed would send it, is still served, with
 *       {@code Connection: close}; a new connection during DRAIN is refused; every request answers 200; the
 *       report says {@code outcome CLEAN, exit code 0}, with all 21 requests drained.
 * </ul>
 *
 * <p>SIGTERM is sent with {@code kill -TERM <pid>}, standing in for the kubelet. The durations are short
 * (pre-drain delay 300 ms, grace 5 s) so that the sample ends in a few seconds; behind a real load
 * balancer the pre-drain delay is several seconds (sample 06) and the grace covers the slowest request
 * (sample 15). The shutdown uses {@link Shutdown.ExitPolicy#RETURN}: {@code main} receives the report,
 * prints what the client saw, and exits with the report's exit code.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample03_HttpConnectionDraining
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrong: 20 requests of 1500 ms in flight on a plain HttpServer (child JVM); sending it SIGTERM
 *   wrong child: shutdown hook: server.stop(0) with 20 requests in flight
 * wrong: the child exited with code 143
 * wrong: 0 of 20 answered, 20 failed: the connection closed without a response
 * right: 20 requests of 1500 ms in flight on a DrainingHttpServer; sending SIGTERM to myself, as the kubelet does
 * right: phase READINESS: /health/ready answers 503 during the 300 ms pre-drain delay
 * right: a request sent during the pre-drain delay: accepted, 21 in flight
 * right: phase STOP_ACCEPTING: closing the listening socket
 * right: phase DRAIN: the requests in flight run to the end
 * right: a new connection during DRAIN: refused (the client retries on another replica)
 * right: 20 of 20 answered 200
 * right: the request sent during the pre-drain delay answered 200, with Connection: close
 * shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0, total ... ms
 *   ... one line per phase ...
 *   requests: 20 in flight at trigger, 21 drained, 0 cancelled; tasks cancelled: 0
 *   hook STOP_ACCEPTING http: OK in ... ms
 * verdict: stop(0) drops every request in flight; the draining server answers all 21 and exits 0
 * </pre>
 * The process exits 0. Quiesce's own log lines go to standard error.
 */
public final class Sample03_HttpConnectionDraining {
    private Sample03_HttpConnectionDraining() {}

    /** Requests in flight when SIGTERM arrives. */
    static final int REQUESTS = 20;

    /** How long each request works: longer than the pre-drain delay, so that they are all still running. */
    static final long WORK_MS = 1500;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("naive-child")) {
            naiveChild();
            return;
        }
        int wrongAnswered = wrong();
        ShutdownReport report = right();
        long drained = report.requestsDrained();
        say("verdict: " + (wrongAnswered == 0 && report.outcome() == ShutdownReport.Outcome.CLEAN
                && drained == REQUESTS + 1
                ? "stop(0) drops every request in flight; the draining server answers all " + drained
                        + " and exits 0"
                : "unexpected: wrong answered " + wrongAnswered + ", right " + report.outcome() + " with "
                        + drained + " drained"));
        System.exit(report.exitCode());
    }

    // ------------------------------------------------------------------ wrong

    /** Runs the naive server in a child JVM, loads it, sends it SIGTERM. Returns how many requests were answered. */
    static int wrong() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Sample03_HttpConnectionDraining.class.getName(), "naive-child")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (var lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            int port = Integer.parseInt(awaitLine(lines, "PORT ").substring("PORT ".length()));
            List<CompletableFuture<Answer>> requests = send(client(), port, REQUESTS);
            awaitLine(lines, "IN FLIGHT");
            say("wrong: " + REQUESTS + " requests of " + WORK_MS + " ms in flight on a plain HttpServer (child JVM); "
                    + "sending it SIGTERM");
            kill(child.pid());
            for (String line; (line = lines.readLine()) != null; ) { // until the child has exited
                say("  wrong child: " + line);
            }
            if (!child.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the naive child did not exit after SIGTERM");
            }
            say("wrong: the child exited with code " + child.exitValue());
            List<Answer> answers = awaitAll(requests);
            long ok = answers.stream().filter(a -> a.status() == 200).count();
            long failed = answers.stream().filter(a -> a.status() < 0).count();
            say("wrong: " + ok + " of " + REQUESTS + " answered, " + failed
                    + " failed: the connection closed without a response");
            return (int) ok;
        } finally {
            child.destroyForcibly();
        }
    }

    /** The naive server: the JDK HttpServer, and server.stop(0) in a JVM shutdown hook. */
    static void naiveChild() throws Exception {
        var inFlight = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/slow", exchange -> {
            try (exchange) {
                if (inFlight.incrementAndGet() == REQUESTS) {
                    say("IN FLIGHT");
                }
                work(exchange);
            } finally {
                inFlight.decrementAndGet();
            }
        });
        // The usual "graceful shutdown" found in many services: on SIGTERM the JVM runs its shutdown hooks,
        // this one closes the server, and the JVM exits as soon as the hooks return.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            say("shutdown hook: server.stop(0) with " + inFlight.get() + " requests in flight");
            server.stop(0);
        }));
        server.start();
        say("PORT " + server.getAddress().getPort());
        Thread.sleep(Duration.ofMinutes(1)); // serving, until SIGTERM
    }

    // ------------------------------------------------------------------ right

    /** The draining server in this JVM: SIGTERM to itself, every request answered. Returns the report. */
    static ShutdownReport right() throws Exception {
        var drainStarted = new CountDownLatch(1);
        Shutdown shutdown = Shutdown.builder()
                .name("sample03")
                .platformBudget(Duration.ofSeconds(30)) // terminationGracePeriodSeconds
                .preDrainDelay(Duration.ofMillis(300)) // behind a real load balancer: seconds (sample 06)
                .gracePeriod(Duration.ofSeconds(5)) // longer than the slowest request (sample 15)
                .exitPolicy(Shutdown.ExitPolicy.RETURN) // main prints what the client saw, then exits
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        switch (phase) {
                            case READINESS -> say("right: phase READINESS: /health/ready answers 503 during the "
                                    + "300 ms pre-drain delay");
                            case STOP_ACCEPTING -> say("right: phase STOP_ACCEPTING: closing the listening socket");
                            case DRAIN -> {
                                say("right: phase DRAIN: the requests in flight run to the end");
                                drainStarted.countDown();
                            }
                            default -> { } // the report lists every phase
                        }
                    }
                })
                .start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown)
                .bind("127.0.0.1", 0) // this machine only, any free port: the sample is its own client
                .route("/slow", Sample03_HttpConnectionDraining::work)
                .start();
        shutdown.markReady();

        HttpClient client = client();
        List<CompletableFuture<Answer>> requests = send(client, server.port(), REQUESTS);
        while (shutdown.inFlight().inFlight() < REQUESTS) {
            Thread.sleep(5);
        }
        long pid = ProcessHandle.current().pid();
        say("right: " + REQUESTS + " requests of " + WORK_MS + " ms in flight on a DrainingHttpServer; "
                + "sending SIGTERM to myself, as the kubelet does");
        kill(pid);

        // A load balancer that has not yet seen the 503 keeps sending during the pre-drain delay: served.
        shutdown.readiness().await(Readiness.State.DRAINING);
        CompletableFuture<Answer> late = send(client, server.port(), 1).getFirst();
        while (shutdown.inFlight().inFlight() < REQUESTS + 1 && shutdown.phase().orElseThrow() == Phase.READINESS) {
            Thread.sleep(1);
        }
        say("right: a request sent during the pre-drain delay: " + (shutdown.inFlight().inFlight() > REQUESTS
                ? "accepted, " + (REQUESTS + 1) + " in flight" : "not accepted before the listener closed"));

        drainStarted.await();
        say("right: a new connection during DRAIN: " + tryNewConnection(server.port()));

        List<Answer> answers = awaitAll(requests);
        long ok = answers.stream().filter(a -> a.status() == 200).count();
        say("right: " + ok + " of " + REQUESTS + " answered 200");
        Answer lateAnswer = awaitAll(List.of(late)).getFirst();
        say("right: the request sent during the pre-drain delay answered " + lateAnswer.status()
                + (lateAnswer.connectionClose() ? ", with Connection: close" : ", without Connection: close"));

        ShutdownReport report = shutdown.awaitTermination();
        System.out.print(report.toText());
        return report;
    }

    /** What a request to a fresh client (no pooled connection) meets. */
    private static String tryNewConnection(int port) throws InterruptedException {
        try {
            HttpResponse<String> r = client().send(request(port, "/slow"), HttpResponse.BodyHandlers.ofString());
            return "answered " + r.statusCode() + " (unexpected)";
        } catch (ConnectException e) {
            return "refused (the client retries on another replica)";
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    // ------------------------------------------------------------------ the slow route and the client

    /** The slow route: 1.5 s of work, then 200. Cancelled (interrupted), it lets the server answer 503. */
    private static void work(HttpExchange exchange) throws IOException {
        try {
            Thread.sleep(WORK_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("cancelled before the work was done");
        }
        byte[] body = "done\n".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** An answer as the client saw it: the status (-1: no response) and whether the server said Connection: close. */
    record Answer(int status, boolean connectionClose) {}

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // plain HTTP/1.1 keep-alive, as behind a load balancer
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build();
    }

    private static List<CompletableFuture<Answer>> send(HttpClient client, int port, int n) {
        List<CompletableFuture<Answer>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(client.sendAsync(request(port, "/slow"), HttpResponse.BodyHandlers.ofString())
                    .handle((r, error) -> error != null ? new Answer(-1, false)
                            : new Answer(r.statusCode(), r.headers().firstValue("Connection")
                                    .filter("close"::equalsIgnoreCase).isPresent())));
        }
        return futures;
    }

    private static List<Answer> awaitAll(List<CompletableFuture<Answer>> futures) throws Exception {
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private static String awaitLine(BufferedReader lines, String prefix) throws IOException {
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the child exited before printing '" + prefix + "'");
    }

    private static void kill(long pid) throws IOException, InterruptedException {
        // stands in for the kubelet stopping the pod
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -TERM " + pid + " failed");
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
