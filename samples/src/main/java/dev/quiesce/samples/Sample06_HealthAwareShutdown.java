package dev.quiesce.samples;

import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sample 06: readiness turns to 503 before the listener closes, so that the load balancer stops sending
 * traffic first; liveness stays 200.
 *
 * <p>A load balancer learns that a replica is going away by health-checking it: every {@code interval}
 * it asks {@code /health/ready} on a new connection, and it takes the replica out of rotation only after
 * {@code fall count} failed checks in a row (AWS target groups, HAProxy and Envoy all work this way; in
 * Kubernetes the endpoint is removed in parallel with the SIGTERM, and the ingresses and kube-proxies
 * learn of it seconds later). Until then it keeps sending requests. A service that closes its listening
 * socket the moment SIGTERM arrives has, for up to {@code interval x fall count}, traffic coming in that
 * meets a refused connection: a burst of 502s on every deploy, although every request that got in drained
 * correctly.
 *
 * <p>With a {@link DrainingHttpServer} the shutdown's READINESS phase turns {@code /health/ready} to 503
 * (a JSON body with the status, the phase, the requests in flight and the remaining budget, and a
 * {@code Retry-After} header) and then waits the {@linkplain Shutdown.Builder#preDrainDelay pre-drain
 * delay} before STOP_ACCEPTING closes the listener. {@code /health/live} stays 200 the whole time: a
 * draining replica is healthy, and a failing liveness probe would get it restarted mid-drain. The rule:
 * <b>pre-drain delay &ge; health-check interval &times; fall count</b>, plus a margin.
 *
 * <p>This sample plays the load balancer: a health check every 500 ms, out of rotation after 2 failed
 * checks, one new connection per check, and one request forwarded after every check while the replica
 * is in rotation. SIGTERM (from {@code kill -TERM <own pid>}, standing in for the kubelet) arrives just
 * after a check, with one slow request in flight. The load balancer prints what it sees, once per change:
 * <ul>
 *   <li>{@code wrong()}: no pre-drain delay. The next check already finds the listener closed: ready and
 *       live refused, with no 503 in between. The load balancer still has the replica in rotation (1 failed
 *       check of 2) and forwards a request: refused.
 *   <li>{@code right()}: a pre-drain delay of 1200 ms &ge; 500 ms &times; 2. The next two checks see 503
 *       (live still 200); the replica leaves the rotation; the request forwarded in between is served; only
 *       then is the listener closed and both endpoints refuse.
 * </ul>
 * In both, the slow request in flight at SIGTERM is answered 200 and the shutdown is CLEAN: draining
 * protects the requests that got in, the pre-drain delay the ones still on their way. Both shutdowns run
 * in this JVM, one after the other, with {@link Shutdown.ExitPolicy#RETURN}.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample06_HealthAwareShutdown
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * load balancer: health check every 500 ms, out of rotation after 2 failed checks
 * wrong: preDrainDelay 0 ms &lt; 500 ms x 2
 * wrong: check 1: ready 200; live 200; in rotation
 * wrong: check 1: forwarded request answered 200
 * wrong: SIGTERM just after check 1, with 1 slow request in flight
 * wrong: check 2: ready refused; live refused
 * wrong: check 2: failed checks: 1 of 2, still in rotation
 * wrong: check 2: forwarded request refused
 * wrong: check 3: failed checks: 2 of 2, out of rotation
 * wrong: after SIGTERM the load balancer forwarded 1 request: 0 answered, 1 refused
 * wrong: the request in flight at SIGTERM answered 200; shutdown outcome CLEAN
 * right: preDrainDelay 1200 ms &gt;= 500 ms x 2
 * right: check 1: ready 200; live 200; in rotation
 * right: check 1: forwarded request answered 200
 * right: SIGTERM just after check 1, with 1 slow request in flight
 * right: check 2: ready 503, Retry-After: 1, {"status":"DRAINING","phase":"READINESS","inFlight":1,"remainingMillis":27491}; live 200
 * right: check 2: failed checks: 1 of 2, still in rotation
 * right: check 3: failed checks: 2 of 2, out of rotation
 * right: check 4: ready refused; live refused
 * right: after SIGTERM the load balancer forwarded 1 request: 1 answered, 0 refused
 * right: the request in flight at SIGTERM answered 200; shutdown outcome CLEAN
 * verdict: without a pre-drain delay the load balancer sends traffic into a closed listener; with one it sees 503 and stops first
 * </pre>
 * Only {@code remainingMillis} differs from run to run. Quiesce's own log lines go to standard error.
 */
public final class Sample06_HealthAwareShutdown {
    private Sample06_HealthAwareShutdown() {}

    /** The load balancer's health-check interval. */
    static final long INTERVAL_MS = 500;

    /** Failed checks in a row before the load balancer takes the replica out of rotation. */
    static final int FALL_COUNT = 2;

    /** How long the request in flight at SIGTERM works. */
    static final long SLOW_MS = 1500;

    public static void main(String[] args) throws Exception {
        say("load balancer: health check every " + INTERVAL_MS + " ms, out of rotation after " + FALL_COUNT
                + " failed checks");
        Result wrong = run("wrong", Duration.ZERO);
        Result right = run("right", Duration.ofMillis(1200));
        say("verdict: " + (wrong.refused() > 0 && right.refused() == 0
                ? "without a pre-drain delay the load balancer sends traffic into a closed listener; "
                        + "with one it sees 503 and stops first"
                : "unexpected: wrong refused " + wrong.refused() + ", right refused " + right.refused()));
        System.exit(right.report().exitCode());
    }

    /** What one variant ended with: requests refused after SIGTERM, and the shutdown's report. */
    record Result(int refused, ShutdownReport report) {}

    /** A service with the given pre-drain delay, behind the simulated load balancer, stopped by SIGTERM. */
    static Result run(String label, Duration preDrainDelay) throws Exception {
        long rule = INTERVAL_MS * FALL_COUNT;
        say(label + ": preDrainDelay " + preDrainDelay.toMillis() + " ms "
                + (preDrainDelay.toMillis() >= rule ? ">=" : "<") + " " + INTERVAL_MS + " ms x " + FALL_COUNT);
        Shutdown shutdown = Shutdown.builder()
                .name("sample06-" + label)
                .platformBudget(Duration.ofSeconds(30)) // terminationGracePeriodSeconds
                .preDrainDelay(preDrainDelay) // behind a real load balancer: seconds, e.g. 10 s x 2 = 20 s
                .gracePeriod(Duration.ofSeconds(5))
                .exitPolicy(Shutdown.ExitPolicy.RETURN) // this sample runs two shutdowns, one after the other
                .start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown)
                .bind("127.0.0.1", 0) // this machine only, any free port: the sample is its own client
                .route("/api", exchange -> answer(exchange, "ok"))
                .route("/slow", exchange -> {
                    try {
                        Thread.sleep(SLOW_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("cancelled");
                    }
                    answer(exchange, "done");
                })
                .start();
        shutdown.markReady();
        int port = server.port();

        CompletableFuture<Response> slow = null;
        String lastSeen = "";
        int failed = 0;
        boolean inRotation = true;
        boolean terminated = false;
        String lastForwarded = "";
        int forwardedAfterSigterm = 0;
        int answeredAfterSigterm = 0;
        int refusedAfterSigterm = 0;
        long sigtermAt = 0;
        for (int check = 1; check <= 20; check++) {
            if (check > 1) { // the checks keep their schedule, whatever the replica does
                sleepUntil(sigtermAt + TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS * (check - 1)));
            }
            Response ready = get(port, "/health/ready");
            Response live = get(port, "/health/live");
            String seen = "ready " + ready.describe() + "; live " + live.describe();
            String changed = "ready " + ready.status() + "; live " + live.status(); // not remainingMillis
            if (!changed.equals(lastSeen)) {
                say(label + ": check " + check + ": " + seen + (check == 1 ? "; in rotation" : ""));
                lastSeen = changed;
            }
            if (inRotation && check > 1) {
                failed = ready.status() == 200 ? 0 : failed + 1;
                if (failed > 0) {
                    inRotation = failed < FALL_COUNT;
                    say(label + ": check " + check + ": failed checks: " + failed + " of " + FALL_COUNT + ", "
                            + (inRotation ? "still in rotation" : "out of rotation"));
                }
            }
            if (inRotation) { // the load balancer forwards a client's request to the replica
                Response forwarded = get(port, "/api");
                String outcome = forwarded.status() == 200 ? "answered 200" : forwarded.describe();
                if (!outcome.equals(lastForwarded)) {
                    say(label + ": check " + check + ": forwarded request " + outcome);
                    lastForwarded = outcome;
                }
                if (terminated) {
                    forwardedAfterSigterm++;
                    answeredAfterSigterm += forwarded.status() == 200 ? 1 : 0;
                    refusedAfterSigterm += forwarded.status() == Response.REFUSED ? 1 : 0;
                }
            }
            if (check == 1) {
                slow = CompletableFuture.supplyAsync(() -> get(port, "/slow"));
                while (shutdown.inFlight().inFlight() < 1) {
                    Thread.sleep(1);
                }
                say(label + ": SIGTERM just after check 1, with 1 slow request in flight");
                kill(ProcessHandle.current().pid());
                sigtermAt = System.nanoTime(); // just after check 1: the next check is one interval away
                terminated = true;
            }
            if (!inRotation && ready.status() == Response.REFUSED) {
                break;
            }
        }
        say(label + ": after SIGTERM the load balancer forwarded " + forwardedAfterSigterm + " request"
                + (forwardedAfterSigterm == 1 ? "" : "s") + ": " + answeredAfterSigterm + " answered, "
                + refusedAfterSigterm + " refused");
        ShutdownReport report = shutdown.awaitTermination();
        say(label + ": the request in flight at SIGTERM answered " + slow.get(10, TimeUnit.SECONDS).describe()
                + "; shutdown outcome " + report.outcome());
        return new Result(refusedAfterSigterm, report);
    }

    // ------------------------------------------------------------------ HTTP, as a load balancer does it

    /** A response as the load balancer saw it; {@link #REFUSED} when the connection was refused. */
    record Response(int status, String retryAfter, String body) {
        static final int REFUSED = -1;

        String describe() {
            if (status == REFUSED) {
                return "refused";
            }
            if (status == 503) {
                return "503, Retry-After: " + retryAfter + ", " + body;
            }
            return Integer.toString(status);
        }
    }

    /**
     * One request on a new connection, closed after the response: what a health check does (and, here,
     * what the load balancer does for a client's request, so that it meets the listener every time).
     */
    static Response get(int port, String path) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headersEnd = response.indexOf("\r\n\r\n");
            String[] head = response.substring(0, headersEnd).split("\r\n");
            int status = Integer.parseInt(head[0].split(" ")[1]);
            String retryAfter = "";
            for (String h : head) {
                if (h.regionMatches(true, 0, "Retry-After:", 0, 12)) {
                    retryAfter = h.substring(12).trim();
                }
            }
            return new Response(status, retryAfter, response.substring(headersEnd + 4).trim());
        } catch (ConnectException refused) {
            return new Response(Response.REFUSED, "", "");
        } catch (IOException e) {
            throw new IllegalStateException("GET " + path + " failed: " + e, e);
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, String text) throws IOException {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
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
