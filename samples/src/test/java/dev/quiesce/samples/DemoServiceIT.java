package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The demo service as a child JVM, the JDK {@code HttpClient} (and raw sockets where connections
 * matter), real SIGTERM: in-flight requests are never dropped, and the negative control shows the same
 * load does lose requests without Quiesce.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoServiceIT {
    private static final Pattern IN_FLIGHT = Pattern.compile("\"inFlight\":(\\d+)");

    @TempDir
    Path dir;

    private static long inFlight(URI base) {
        try (Socket s = Http.connect(base)) {
            Matcher m = IN_FLIGHT.matcher(Http.exchange(s, Http.get("/health/ready")).body());
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static void awaitInFlight(URI base, long n) throws InterruptedException {
        while (inFlight(base) < n) {
            Thread.sleep(10);
        }
    }

    /** Sends {@code n} GET /work?ms=ms requests at once; each future holds the status, or -1 for an I/O error. */
    private static List<CompletableFuture<Integer>> load(HttpClient client, URI base, int n, long ms) {
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            var req = HttpRequest.newBuilder(base.resolve("/work?ms=" + ms)).timeout(Duration.ofSeconds(60)).build();
            all.add(client.sendAsync(req, HttpResponse.BodyHandlers.discarding())
                    .handle((r, e) -> e == null ? r.statusCode() : -1));
        }
        return all;
    }

    /** On each server ({@code serve --server jdk|jetty}). */
    @ParameterizedTest
    @EnumSource(DemoService.ServerKind.class)
    void aThousandSlowRequestsInFlight_allCompleteAfterSigterm_readinessTurnsFirst_thenConnectionsAreRefused(
            DemoService.ServerKind server) throws Exception {
        aThousandSlowRequestsInFlight(dir, DemoProcess::start, server.option());
    }

    /**
     * The drain test with 1 000 requests in flight, on the demo {@code launcher} starts ({@code --server server});
     * samples-spring's SpringDemoIT runs it on the Spring demo.
     */
    static void aThousandSlowRequestsInFlight(Path dir, DemoProcess.Launcher launcher, String server) throws Exception {
        Path state = DemoProcess.stateFile(dir);
        try (var demo = launcher.start("serve", "--host", "127.0.0.1", "--port", "0", "--state", state.toString(),
                "--pre-drain-ms", "1500", "--grace-ms", "20000", "--budget-ms", "40000", "--server", server);
                var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            URI base = demo.awaitListening();
            var responses = load(client, base, 1000, 3000);
            awaitInFlight(base, 1000);

            demo.signal("TERM");
            List<String> seen = new ArrayList<>();
            String last = "";
            while (!last.equals("refused")) {
                last = Http.probe(base, "/health/ready");
                if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(last)) {
                    seen.add(last);
                }
                Thread.sleep(5);
            }
            // readiness said 503 while the listener was still open, and only then were connections refused
            assertThat(seen).containsSubsequence("503", "refused").doesNotContain("200" + "x");
            assertThat(seen.indexOf("503")).isLessThan(seen.indexOf("refused"));
            // refused at once, not timed out: the listening socket is closed
            assertThat(connectOutcome(base)).isEqualTo("refused");

            for (var r : responses) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(200);
            }
            assertThat(demo.waitFor()).as(demo.output()).isZero();
            assertThat(Files.readString(state)).contains("\"served\":1000");
            assertThat(demo.output()).contains("outcome CLEAN, exit code 0");
            // 1000 requests, plus possibly a health probe that had not reached its handler yet
            Matcher m = Pattern.compile("(\\d+) in flight at trigger, (\\d+) drained").matcher(demo.output());
            assertThat(m.find()).isTrue();
            assertThat(Long.parseLong(m.group(1))).isBetween(1000L, 1001L);
            assertThat(Long.parseLong(m.group(2))).isGreaterThanOrEqualTo(1000L);
        }
    }

    private static String connectOutcome(URI base) {
        try (Socket s = new Socket()) {
            s.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()), 10_000);
            return "connected";
        } catch (ConnectException e) {
            return "refused";
        } catch (IOException e) {
            return e.getClass().getSimpleName();
        }
    }

    @Test
    void keepAliveClients_stayAliveDuringThePreDrain_getConnectionCloseOnceTheListenerIsClosed() throws Exception {
        try (var demo = DemoProcess.start("serve", "--host", "127.0.0.1", "--port", "0",
                "--state", DemoProcess.stateFile(dir).toString(),
                "--pre-drain-ms", "3000")) {
            URI base = demo.awaitListening();
            try (Socket keepAlive = Http.connect(base)) {
                Http.Response first = Http.exchange(keepAlive, Http.get("/work?ms=1"));
                assertThat(first.status()).isEqualTo(200);
                assertThat(first.closes()).isFalse();

                demo.signal("TERM");
                while (!Http.probe(base, "/health/ready").equals("503")) {
                    Thread.sleep(5);
                }
                // during the pre-drain delay the connection stays alive: closing it would make a client that
                // ignores readiness reconnect on every request, and fill the accept queue the close resets
                Http.Response second = Http.exchange(keepAlive, Http.get("/work?ms=1"));
                assertThat(second.status()).isEqualTo(200);
                assertThat(second.closes()).isFalse();
                // a request whose response starts after the listener's close (the pre-drain is 3 s): answered,
                // told to close, then closed by the server
                Http.Response third = Http.exchange(keepAlive, Http.get("/work?ms=4000"));
                assertThat(third.status()).isEqualTo(200);
                assertThat(third.closes()).isTrue();
                assertThat(keepAlive.getInputStream().read()).isEqualTo(-1);
            }
            // the client's next connection is refused: it goes to another replica
            assertThat(connectOutcome(base)).isEqualTo("refused");
            assertThat(demo.waitFor()).as(demo.output()).isZero();
        }
    }

    @Test
    void requestsLongerThanTheGrace_areCancelledAndReported_andTheProcessStillExits() throws Exception {
        try (var demo = DemoProcess.start("serve", "--host", "127.0.0.1", "--port", "0",
                "--state", DemoProcess.stateFile(dir).toString(),
                "--pre-drain-ms", "0", "--grace-ms", "500", "--cancel-grace-ms", "500");
                var client = HttpClient.newHttpClient()) {
            URI base = demo.awaitListening();
            var responses = load(client, base, 3, 120_000);
            awaitInFlight(base, 3);
            demo.signal("TERM");
            for (var r : responses) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(503); // cancelled, and told so
            }
            assertThat(demo.waitFor()).as(demo.output()).isEqualTo(2); // FORCED
            assertThat(demo.output()).contains("\"requestsInFlightAtCancel\":3").contains("outcome FORCED")
                    .contains("DRAIN: grace period expired: 3 requests in flight");
        }
    }

    @Test
    void aPortAlreadyInUse_failsTheStartup_andTheProcessExitsOne_insteadOfStayingUpWithoutAServer()
            throws Exception {
        try (var taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                var demo = DemoProcess.start("serve", "--host", "127.0.0.1",
                        "--port", Integer.toString(taken.getLocalPort()),
                        "--state", DemoProcess.stateFile(dir).toString())) {
            // no signal is sent: the demo's main dies in startup, after its Shutdown and worker have started
            assertThat(demo.waitFor()).as(demo.output()).isEqualTo(1);
            assertThat(demo.output()).contains("java.net.BindException")
                    .contains("outcome SERVICE_FAILED, exit code 1")
                    .doesNotContain("listening on");
        }
    }

    @Test
    void negativeControl_theSameLoadWithoutQuiesce_losesRequests() throws Exception {
        try (var demo = DemoProcess.start("serve", "--host", "127.0.0.1", "--port", "0", "--naive");
                var client = HttpClient.newHttpClient()) {
            URI base = demo.awaitListening();
            var responses = load(client, base, 100, 3000);
            awaitInFlight(base, 100);
            demo.signal("TERM");
            assertThat(demo.waitFor()).isEqualTo(143); // killed by the signal: nothing drained
            long failed = 0;
            for (var r : responses) {
                if (r.get(60, TimeUnit.SECONDS) != 200) {
                    failed++;
                }
            }
            assertThat(failed).as("requests lost by the naive server").isEqualTo(100);
        }
    }

    @Test
    void badRequestsDuringTheDrain_getProperHttpErrors_notHangs() throws Exception {
        try (var demo = DemoProcess.start("serve", "--host", "127.0.0.1", "--port", "0",
                "--state", DemoProcess.stateFile(dir).toString(),
                "--pre-drain-ms", "5000")) {
            URI base = demo.awaitListening();
            demo.signal("TERM");
            while (!Http.probe(base, "/health/ready").equals("503")) {
                Thread.sleep(5);
            }
            assertThat(status(base, Http.get("/work?ms=abc"))).isEqualTo(400);
            assertThat(status(base, Http.get("/work?ms=99999999"))).isEqualTo(400);
            assertThat(status(base, Http.get("/no/such/path"))).isEqualTo(404);
            assertThat(status(base, "GET /work?ms=%zz%% HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(400);
            assertThat(status(base, "NONSENSE\r\n\r\n")).isEqualTo(400);
            assertThat(status(base, "POST /work HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n"))
                    .isEqualTo(413);
            assertThat(demo.waitFor()).as(demo.output()).isZero();
        }
    }

    private static int status(URI base, String raw) throws IOException {
        try (Socket s = Http.connect(base)) {
            return Http.exchange(s, raw).status();
        }
    }

    private static final Pattern REPORTED_EXIT = Pattern.compile("shutdown report: .*, outcome \\w+, exit code (\\d+|of the JVM)");
    /** The JDK's own failure when a SIGTERM lands in its initialisation, before main (see its use). */
    private static final String JDK_INIT_RACE = "java.lang.InternalError: Bad level";
    private static final Pattern STATE_WROTE = Pattern.compile("\\[state\\] wrote \\S+ \\((\\{[^)]*\\})\\)");

    /**
     * A SIGTERM at any instant of start-up (JVM start to {@code listening on} and a little after), swept in
     * steps: never a stack trace, a report (when there is one) that states the process's exit code, no
     * pre-drain delay and the previous state kept unless the service became ready. Before Quiesce's handlers
     * are installed the JVM's own handling exits with 143 and there is nothing to report.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aSigtermAtAnyInstantOfStartup_neverPrintsAStackTrace_reportsTheRealExitCode_andKeepsThePreviousState()
            throws Exception {
        Path state = DemoProcess.stateFile(dir);
        String previous = "{\"served\":41,\"workerTicks\":7}";
        // the time a start-up takes here, now (a loaded machine takes longer): the window to sweep
        long startupNanos;
        long t0 = System.nanoTime();
        try (var demo = DemoProcess.start("serve", "--port", "0", "--state", dir.resolve("warm.json").toString(),
                "--pre-drain-ms", "0")) {
            demo.awaitListening();
            startupNanos = System.nanoTime() - t0;
            demo.signal("TERM");
            assertThat(demo.waitFor()).as(demo.output()).isZero();
        }
        int steps = 16;
        List<String> kinds = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            java.nio.file.Files.writeString(state, previous);
            long delayNanos = startupNanos * (i + 1) / (steps - 2); // from early on to a little past listening
            // the default pre-drain delay (1 s): it must not be waited by a service that never became ready
            try (var demo = DemoProcess.start("serve", "--port", "0", "--state", state.toString())) {
                // sweeping an instant, not synchronising: each run is asserted whatever instant it hit
                Thread.sleep(Duration.ofNanos(delayNanos));
                demo.signal("TERM");
                int exit = demo.waitFor();
                String out = demo.output();
                String run = "run " + i + " (SIGTERM " + delayNanos / 1_000_000 + " ms after start, exit " + exit
                        + "):\n" + out;

                Matcher reported = REPORTED_EXIT.matcher(out);
                boolean hasReport = reported.find();
                boolean jdkInitRace = !hasReport && out.contains(JDK_INIT_RACE);
                if (jdkInitRace) {
                    // A SIGTERM in the JVM's own initialisation, before main: the JDK's shutdown sets the VM's
                    // init level to "shut down" (jdk.internal.misc.VM.shutdown), and System.initPhase3 then
                    // fails with InternalError("Bad level: 4"). No Quiesce code has run (the trace holds JDK
                    // frames only); the exit code is the signal's (143) or the failed initialisation's (1).
                    assertThat(out).as(run).doesNotContain("dev.quiesce").doesNotContain("listening on");
                    assertThat(exit).as(run).isIn(1, 143);
                } else {
                    assertThat(out).as(run).doesNotContain("\tat ").doesNotContain("Exception in thread")
                            .doesNotContain("Exception:");
                    // no report: killed by the JVM's own SIGTERM handling, before Quiesce's handlers (143)
                    String claimed = hasReport ? reported.group(1) : "of the JVM";
                    assertThat(claimed.equals("of the JVM") ? 143 : Integer.parseInt(claimed)).as(run).isEqualTo(exit);
                }

                Matcher wrote = STATE_WROTE.matcher(out);
                boolean becameReady = wrote.find();
                assertThat(java.nio.file.Files.readString(state)).as(run).isEqualTo(becameReady ? wrote.group(1) : previous);
                assertThat(out.contains("no pre-drain delay: the service never became ready")).as(run)
                        .isEqualTo(hasReport && !becameReady);
                kinds.add(jdkInitRace ? "in the JVM's initialisation" : !hasReport ? "before handlers" : becameReady ? "ready" : "in start-up");
            }
        }
        System.out.println("SIGTERM sweep over a start-up of " + startupNanos / 1_000_000 + " ms: " + kinds);
        // the sweep covered the start-up itself, not only its edges
        assertThat(kinds).as("where the SIGTERMs landed").contains("in start-up");
    }
}
