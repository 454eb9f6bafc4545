package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Kubernetes-style rolling update on one machine, with real parts: HAProxy (Debian's package) on
 * loopback in front of three demo replicas, active health checks on {@code /health/ready}, retries on
 * connection errors; steady load from the JDK {@code HttpClient} mixing fast and slow requests; each
 * replica in turn is replaced: start the new one, wait until HAProxy sees it UP, SIGTERM the old one,
 * wait for it to exit. With Quiesce's draining no request fails; the negative control (the same
 * update with draining disabled) loses requests, so the test can fail. Each runs once per server
 * ({@code serve --server jdk|jetty}); on Jetty a third update runs plain Jetty with its own graceful stop
 * ({@code --naive --server jetty}).
 *
 * <p>HAProxy is installed by {@code .ci/run}. Without it this test is skipped with a loud message,
 * except under CI ({@code CI=true}), where a missing HAProxy fails it.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RollingUpdateIT {
    static final Duration CHECK_INTERVAL = Duration.ofMillis(200);
    static final int CHECK_FALL = 2;
    static final Duration PRE_DRAIN = Duration.ofMillis(1200); // > CHECK_INTERVAL * CHECK_FALL, with margin

    @TempDir
    Path dir;

    /** Starts a replica: the plain demo's jar here; samples-spring's SpringRollingUpdateIT runs the Spring demo's. */
    DemoProcess.Launcher launcher = DemoProcess::start;

    /** HAProxy, or a loud skip (a failure under CI). */
    static Path haproxyBinary() {
        return DebianTool.require("RollingUpdateIT", "HAProxy", "haproxy",
                List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"));
    }

    /** The result of one rolling update. */
    record Outcome(long requests, Map<String, Long> failures, long longestOkMillis, List<String> reports) {
        long failed() {
            return failures.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** How the replicas are run. */
    enum Replicas {
        /** Quiesce, with the pre-drain delay and a grace period. */
        DRAINING,
        /** Quiesce with draining disabled: no pre-drain delay, a grace period of 1 ms. */
        NO_DRAIN,
        /** No Quiesce ({@code --naive}): on Jetty, Jetty's own graceful stop. */
        NAIVE
    }

    @ParameterizedTest
    @EnumSource(DemoService.ServerKind.class)
    void aRollingUpdateBehindHaproxy_losesNoRequest(DemoService.ServerKind server) throws Exception {
        Outcome o = rollingUpdate(server, Replicas.DRAINING);
        System.out.printf("rolling update with Quiesce on %s: %d requests, %d failed %s, longest completed %d ms%n",
                server.option(), o.requests(), o.failed(), o.failures(), o.longestOkMillis());
        o.reports().forEach(r -> System.out.println("replica shutdown: " + r));
        assertThat(o.requests()).isGreaterThan(100);
        assertThat(o.failures()).as("non-2xx responses and connection errors seen by the client").isEmpty();
        assertThat(o.longestOkMillis()).isGreaterThanOrEqualTo(1000); // slow requests crossed the SIGTERMs
    }

    /**
     * Draining disabled: no pre-drain delay and a grace period of 1 ms, so requests in flight at SIGTERM are
     * cancelled (503) instead of finished. (Killing the replica outright is not a reliable control behind
     * HAProxy: it re-sends some requests whose server connection died without a response.)
     */
    @ParameterizedTest
    @EnumSource(DemoService.ServerKind.class)
    void negativeControl_theSameUpdateWithoutDraining_losesRequests(DemoService.ServerKind server) throws Exception {
        Outcome o = rollingUpdate(server, Replicas.NO_DRAIN);
        System.out.printf("rolling update without draining on %s: %d requests, %d failed %s%n",
                server.option(), o.requests(), o.failed(), o.failures());
        assertThat(o.failed()).as("requests lost when the replicas just die").isPositive();
    }

    /**
     * Plain Jetty's own graceful stop ({@code --naive --server jetty}: {@code GracefulHandler}, a stop timeout, its
     * shutdown hook), each SIGTERM hitting a slow request. Measured behind this HAProxy: it loses few requests or
     * none (0, 0, 1 and 1 failed in four runs of about 3 500 to 6 000 requests, each loss a 503). Its stop closes
     * the listener at once and lets the requests in flight finish; HAProxy re-sends a refused connection to another
     * replica ({@code retry-on conn-failure}) and opens a server connection per request ({@code http-server-close}),
     * so Jetty's keep-alive gap does not show; a request that reaches Jetty once its {@code GracefulHandler} is shut
     * down is answered 503 (the likely source of the losses; the test does not tell it from an HAProxy 503). So the
     * test asserts what always held: nothing but 503s is lost, the process dies of the signal (143, not exit 0),
     * and no state is written.
     */
    @Test
    void plainJettysOwnGracefulStop_behindHaproxy_losesOnlyA503HereOrThere_andDiesOfTheSignalWithoutItsState()
            throws Exception {
        Outcome o = rollingUpdate(DemoService.ServerKind.JETTY, Replicas.NAIVE);
        System.out.printf("rolling update of plain Jetty (its own graceful stop): %d requests, %d failed %s,"
                + " longest completed %d ms, %s%n", o.requests(), o.failed(), o.failures(), o.longestOkMillis(),
                o.reports());
        assertLostOnly503s_andEachReplicaDiedOfTheSignal(o, "plain Jetty's graceful stop");
    }

    /**
     * What a server's own graceful stop always did behind this HAProxy: nothing but 503s lost, slow requests crossed
     * the SIGTERMs, and each old replica died of the signal (143) without writing its state.
     */
    static void assertLostOnly503s_andEachReplicaDiedOfTheSignal(Outcome o, String stop) {
        assertThat(o.requests()).isGreaterThan(100);
        assertThat(o.failures().keySet()).as("requests lost by " + stop + " behind HAProxy").isSubsetOf("HTTP 503");
        assertThat(o.longestOkMillis()).isGreaterThanOrEqualTo(1000); // slow requests crossed the SIGTERMs
        assertThat(o.reports()).containsExactly("old-0: exit 143, no state file", "old-1: exit 143, no state file",
                "old-2: exit 143, no state file");
    }

    /** A rolling update of {@code server} replicas run as {@code mode} says. */
    private Outcome rollingUpdate(DemoService.ServerKind server, Replicas mode) throws Exception {
        return rollingUpdate(server.option(), mode, false);
    }

    /** With {@code preStop}, each old replica gets {@code POST /quiesce/drain} on its management port before SIGTERM. */
    Outcome rollingUpdate(String server, Replicas mode, boolean preStop) throws Exception {
        boolean noDrain = mode != Replicas.DRAINING;
        Path haproxy = haproxyBinary();
        int replicas = 3;
        int[] oldPorts = freePorts(replicas);
        int[] newPorts = freePorts(replicas);
        int frontPort = freePorts(1)[0];
        int[] managementPorts = freePorts(replicas);
        Path socket = dir.resolve("haproxy.sock");
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, haproxyConfig(frontPort, socket, oldPorts, newPorts));

        List<DemoProcess> old = new ArrayList<>();
        List<DemoProcess> replacements = new ArrayList<>();
        Process lb = null;
        var stop = new AtomicBoolean();
        var requests = new AtomicLong();
        var longestOk = new AtomicLong();
        Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        List<String> reports = new ArrayList<>();
        try {
            for (int i = 0; i < replicas; i++) {
                old.add(startReplica("old-" + i, oldPorts[i], server, mode, preStop ? managementPorts[i] : -1));
            }
            lb = new ProcessBuilder(haproxy.toString(), "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            var stats = new HaproxyStats(socket);
            for (int i = 0; i < replicas; i++) {
                awaitState(stats, lb, "old-" + i, "UP");
                awaitState(stats, lb, "new-" + i, "DOWN");
            }

            URI front = URI.create("http://127.0.0.1:" + frontPort);
            // HTTP/1.1, as HAProxy's frontend speaks here: the JDK client's default (HTTP/2) upgrades to h2c where the
            // server offers it (Jetty), and HAProxy passes the 101 on as a tunnel to that one replica, so every client
            // would be multiplexed on it, past the load balancing and its health checks
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                    .version(HttpClient.Version.HTTP_1_1).build();
            for (int c = 0; c < 16; c++) {
                boolean slow = c % 4 == 0; // a quarter of the clients send 1.5 s requests, the rest 20 ms ones
                clients.add(Thread.ofVirtual().start(() -> {
                    while (!stop.get()) {
                        long ms = slow ? 1500 : 20;
                        long start = System.nanoTime();
                        try {
                            var resp = client.send(HttpRequest.newBuilder(front.resolve("/work?ms=" + ms))
                                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                            requests.incrementAndGet();
                            if (resp.statusCode() / 100 != 2) {
                                failures.computeIfAbsent("HTTP " + resp.statusCode(), k -> new AtomicLong())
                                        .incrementAndGet();
                            } else {
                                longestOk.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                            }
                        } catch (IOException e) {
                            requests.incrementAndGet();
                            failures.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong())
                                    .incrementAndGet();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
            while (requests.get() < 50) { // the load is flowing through all replicas
                Thread.sleep(10);
            }

            for (int i = 0; i < replicas; i++) {
                DemoProcess next = startReplica("new-" + i, newPorts[i], server, mode);
                replacements.add(next);
                awaitState(stats, lb, "new-" + i, "UP"); // ready, and the load balancer knows it
                DemoProcess retiring = old.get(i);
                if (noDrain) {
                    // make sure the SIGTERM hits work in flight, so the control cannot pass by luck
                    URI replica = URI.create("http://127.0.0.1:" + oldPorts[i]);
                    while (slowInFlight(replica) < 1) {
                        Thread.sleep(5);
                    }
                }
                if (preStop) {
                    preStopDrain(client, managementPorts[i], stats, lb, "old-" + i, retiring);
                }
                retiring.signal("TERM");
                if (!noDrain && !preStop) {
                    // the load balancer takes the replica out before it stops accepting
                    awaitState(stats, lb, "old-" + i, "DOWN");
                    assertThat(retiring.output()).as("listener must still be open when HAProxy marks it DOWN")
                            .doesNotContain("[shutdown] STOP_ACCEPTING ...");
                }
                int code = retiring.waitFor();
                if (mode == Replicas.NAIVE) {
                    boolean persisted = Files.exists(DemoProcess.stateFile(dir.resolve("old-" + i)));
                    reports.add("old-" + i + ": exit " + code + (persisted ? ", state file written" : ", no state file"));
                }
                if (!noDrain) {
                    assertThat(code).as(retiring.output()).isZero();
                    assertThat(DemoProcess.stateFile(dir.resolve("old-" + i))).exists();
                    String out = retiring.output();
                    assertThat(out).containsSubsequence("[shutdown] READINESS: readiness DRAINING, pre-drain delay "
                            + PRE_DRAIN.toMillis() + " ms", "[shutdown] STOP_ACCEPTING ...");
                    reports.add("old-" + i + ": " + phaseSummary(out));
                }
            }
            Thread.sleep(CHECK_INTERVAL.toMillis() * 5); // a little load on the new replicas only
        } finally {
            stop.set(true);
            for (Thread t : clients) {
                t.join(Duration.ofSeconds(40));
            }
            if (lb != null) {
                lb.destroyForcibly();
            }
            old.forEach(DemoProcess::close);
            replacements.forEach(DemoProcess::close);
        }
        Map<String, Long> f = new TreeMap<>();
        failures.forEach((k, v) -> f.put(k, v.get()));
        return new Outcome(requests.get(), f, longestOk.get(), reports);
    }

    private static final Pattern SLOW_IN_FLIGHT = Pattern.compile("\"slowInFlight\":(\\d+)");

    /** Requests of a second or more in flight at a replica (its GET /state says). */
    private static long slowInFlight(URI replica) {
        try (var socket = Http.connect(replica)) {
            Matcher m = SLOW_IN_FLIGHT.matcher(Http.exchange(socket, Http.get("/state")).body());
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private DemoProcess startReplica(String name, int port, String server, Replicas mode) throws Exception {
        return startReplica(name, port, server, mode, -1);
    }

    private DemoProcess startReplica(String name, int port, String server, Replicas mode, int managementPort)
            throws Exception {
        Path state = DemoProcess.stateFile(dir.resolve(name));
        Files.createDirectories(state.getParent());
        boolean noDrain = mode == Replicas.NO_DRAIN;
        List<String> args = new ArrayList<>(List.of("serve", "--host", "127.0.0.1", "--port", Integer.toString(port),
                "--state", state.toString(),
                "--pre-drain-ms", noDrain ? "0" : Long.toString(PRE_DRAIN.toMillis()),
                "--grace-ms", noDrain ? "1" : "10000", "--cancel-grace-ms", "500", "--server", server));
        if (mode == Replicas.NAIVE) {
            args.add("--naive");
        }
        if (managementPort >= 0) {
            args.addAll(List.of("--management-port", Integer.toString(managementPort)));
        }
        DemoProcess p = launcher.start(args.toArray(String[]::new));
        p.awaitListening();
        return p;
    }

    static String haproxyConfig(int front, Path socket, int[] oldPorts, int[] newPorts) {
        var sb = new StringBuilder();
        sb.append("""
                global
                    maxconn 4096
                    stats socket %s mode 600 level admin
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 60s
                    timeout server 60s
                    timeout check 1s
                    # a production config retries what never reached a server, on another server
                    retries 3
                    option redispatch
                    retry-on conn-failure
                    # one server connection per request: HAProxy also re-sends a request whose reused
                    # keep-alive connection died without a response, which would hide lost requests from
                    # this test (and only works for idempotent requests in production)
                    option http-server-close
                frontend fe
                    bind 127.0.0.1:%d
                    default_backend replicas
                backend replicas
                    balance roundrobin
                    option httpchk GET /health/ready
                    http-check expect status 200
                    default-server inter %dms fall %d rise 2
                """.formatted(socket, front, CHECK_INTERVAL.toMillis(), CHECK_FALL));
        for (int i = 0; i < oldPorts.length; i++) {
            sb.append("    server old-").append(i).append(" 127.0.0.1:").append(oldPorts[i]).append(" check\n");
        }
        for (int i = 0; i < newPorts.length; i++) {
            sb.append("    server new-").append(i).append(" 127.0.0.1:").append(newPorts[i]).append(" check\n");
        }
        return sb.toString();
    }

    private static int[] freePorts(int n) throws IOException {
        int[] ports = new int[n];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                var s = new ServerSocket(0);
                held.add(s);
                ports[i] = s.getLocalPort();
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
        return ports;
    }

    private static void awaitState(HaproxyStats stats, Process lb, String server, String state) throws Exception {
        for (;;) {
            assertThat(lb.isAlive()).as("haproxy is running").isTrue();
            String s = stats.serverStatus(server);
            if (s != null && s.startsWith(state)) {
                return;
            }
            Thread.sleep(10);
        }
    }

    private static final Pattern PHASE = Pattern.compile("^\\[shutdown] (\\w+): .* \\((\\d+) ms\\)$");

    private static String phaseSummary(String output) {
        var sb = new StringBuilder();
        for (String line : output.split("\n")) {
            Matcher m = PHASE.matcher(line);
            if (m.matches()) {
                sb.append(m.group(1)).append('=').append(m.group(2)).append("ms ");
            }
        }
        return sb.toString().trim();
    }

    /** HAProxy's runtime API over its unix socket: {@code show stat}, the status column of a server. */
    static final class HaproxyStats {
        private final Path socket;

        HaproxyStats(Path socket) {
            this.socket = socket;
        }

        String serverStatus(String server) throws IOException {
            if (!Files.exists(socket)) {
                return null;
            }
            String csv;
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
                var out = new java.io.ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(8192);
                while (ch.read(buf) > 0) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                csv = out.toString(StandardCharsets.US_ASCII);
            } catch (IOException e) {
                return null; // not listening yet
            }
            String[] lines = csv.split("\n");
            if (lines.length == 0 || !lines[0].startsWith("# ")) {
                return null;
            }
            List<String> header = List.of(lines[0].substring(2).split(","));
            int sv = header.indexOf("svname");
            int status = header.indexOf("status");
            for (String l : lines) {
                String[] cols = l.split(",", -1);
                if (cols.length > status && cols[0].equals("replicas") && cols[sv].equals(server)) {
                    return cols[status];
                }
            }
            return null;
        }
    }

    /**
     * The preStop recipe of docs/kubernetes.md: each old replica is drained by {@code POST /quiesce/drain} on its
     * management port (what {@code exec curl -X POST .../quiesce/drain} in a preStop hook does), and SIGTERM
     * comes only once that has answered: no request fails, and SIGTERM finishes at once with exit 0.
     */
    @Test
    void aRollingUpdateWithAPreStopDrain_losesNoRequest_andEachReplicaExitsZero() throws Exception {
        Outcome o = rollingUpdate(DemoService.ServerKind.JDK.option(), Replicas.DRAINING, true);
        System.out.printf("rolling update with a preStop drain: %d requests, %d failed %s, longest completed %d ms%n",
                o.requests(), o.failed(), o.failures(), o.longestOkMillis());
        o.reports().forEach(r -> System.out.println("replica shutdown: " + r));
        assertThat(o.requests()).isGreaterThan(100);
        assertThat(o.failures()).as("non-2xx responses and connection errors seen by the client").isEmpty();
        assertThat(o.reports()).hasSize(3).allSatisfy(r -> assertThat(r.split("DRAIN=", -1)).as("one drain: " + r)
                .hasSize(2));
    }

    /**
     * {@code POST /quiesce/drain}, as a preStop hook sends it: HAProxy takes the replica out during the pre-drain
     * delay, before its listener closes; the POST answers once the drain is done, and the replica has not
     * persisted or exited (it waits for SIGTERM).
     */
    private static void preStopDrain(HttpClient client, int managementPort, HaproxyStats stats, Process lb,
            String server, DemoProcess retiring) throws Exception {
        var drain = client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/quiesce/drain")).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        awaitState(stats, lb, server, "DOWN");
        assertThat(retiring.output()).as("listener must still be open when HAProxy marks it DOWN")
                .doesNotContain("[shutdown] STOP_ACCEPTING ...");
        HttpResponse<String> answer = drain.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).contains("\"drainComplete\":true", "\"trigger\":\"DRAIN_REQUEST\"",
                "\"requestsInFlight\":0");
        assertThat(retiring.output()).contains("[shutdown] DRAIN: drained").doesNotContain("[shutdown] PERSIST ...");
    }
}
