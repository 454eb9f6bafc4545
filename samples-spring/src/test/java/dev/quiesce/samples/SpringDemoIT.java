package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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

/**
 * The Spring demo's jar run as a user would ({@code java -jar quiesce-spring-demo.jar ...}): the plain demo's contract
 * (DemoIT's checks), the drain test with 1 000 requests in flight (DemoServiceIT's), and real signals, with the starter
 * and with {@code --naive} (plain Boot graceful shutdown). Each signal test prints a {@code figure:} line for the
 * before/after table (exit codes, readiness-to-listener-close); only outcomes and order are asserted.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SpringDemoIT {
    private static final Pattern SLOW_IN_FLIGHT = Pattern.compile("\"slowInFlight\":(\\d+)");

    @TempDir
    Path dir;

    static Path springJar() {
        Path jar = Path.of(System.getProperty("quiesce.spring.demo.jar", "target/quiesce-spring-demo.jar"));
        assertThat(jar).as("the Spring demo jar is built in the package phase").exists();
        return jar;
    }

    /** Starts the Spring demo's jar with {@code args}. */
    static DemoProcess start(String... args) throws IOException {
        return DemoProcess.startJar(springJar(), args);
    }

    private static SampleRun run(String... args) throws IOException, InterruptedException {
        var cmd = new ArrayList<>(List.of(DemoIT.java(), "-jar", springJar().toString()));
        cmd.addAll(List.of(args));
        return SampleRun.exec("quiesce-spring-demo " + String.join(" ", args), cmd, java.util.Map.of());
    }

    @Test
    void help_showsThePlainDemosOptionsWithTheirDefaults_andTomcatAsTheServer() throws Exception {
        SampleRun help = run("help");
        assertThat(help.exitCode()).as(help.describe()).isZero();
        String out = String.join("\n", help.lines());
        for (String option : new String[] {"--host ADDR", "--port N", "--state FILE", "--pre-drain-ms N", "--grace-ms N",
                "--cancel-grace-ms N", "--budget-ms N", "--naive", "--management-port N", "--server NAME"}) {
            assertThat(out).contains("  " + option + " ");
        }
        assertThat(out).startsWith("usage: quiesce-spring-demo").contains("(default quiesce-demo-state.json, in the"
                + " working directory)", "plain Boot graceful shutdown", "(default tomcat)", "QUIESCE_GRACE_MS");
    }

    @Test
    void badOptions_printWhatIsWrongAndTheUsage_andExitTwo_asThePlainDemo_withoutAStackTrace() throws Exception {
        String[][] cases = {{"serve", "--bogus"}, {"serve", "--port", "abc"}, {"serve", "--port"},
            {"serve", "--server", "jdk"}, {"serve", "--server"}, {"no-such-mode"}, {}};
        String[] says = {"unknown option --bogus", "--port takes a whole number, was 'abc'", "--port needs a value",
            "--server takes tomcat (Boot's embedded Tomcat; the plain demo has jdk and jetty), was 'jdk'",
            "--server needs a value", "unknown mode no-such-mode", "say what to do"};
        for (int i = 0; i < cases.length; i++) {
            SampleRun r = run(cases[i]);
            assertThat(r.exitCode()).as(r.describe()).isEqualTo(2);
            String all = String.join("\n", r.lines()) + "\n" + r.stderr();
            assertThat(all).as(String.join(" ", cases[i])).contains("quiesce-spring-demo: " + says[i] + "\n")
                    .contains("usage: ").doesNotContain("Exception").doesNotContain("\tat ")
                    .doesNotContain("listening on http");
        }
    }

    @Test
    void serve_keepsTheDemoContract_endpointsHealthJsonStateFileReportAndExitZero() throws Exception {
        Path state = DemoProcess.stateFile(dir);
        Files.writeString(state, "{\"served\":5,\"workerTicks\":0}");
        try (var demo = start("serve", "--port", "0", "--state", state.toString(), "--pre-drain-ms", "200")) {
            URI base = demo.awaitListening();
            assertThat(base.toString()).matches("http://127\\.0\\.0\\.1:\\d+");
            var work = get(base, "/work?ms=10");
            assertThat(work.status()).isEqualTo(200);
            assertThat(work.body()).isEqualTo("{\"slept\":10}");
            assertThat(work.headers()).contains("content-type: application/json");
            var bad = get(base, "/work?ms=abc");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).isEqualTo("{\"error\":\"ms must be a whole number of milliseconds\"}");
            assertThat(get(base, "/health/live").status()).isEqualTo(200);
            var ready = get(base, "/health/ready");
            assertThat(ready.status()).isEqualTo(200);
            // inFlight: the previous probe may not have left the ingress's count yet (it is counted until Tomcat is done)
            assertThat(ready.body()).matches("\\{\"status\":\"SERVING\",\"phase\":\"NONE\",\"inFlight\":\\d+,"
                    + "\"remainingMillis\":\\d+}");
            assertThat(get(base, "/actuator/health/readiness").status()).isEqualTo(200);
            demo.signal("TERM");
            assertThat(demo.waitFor()).as(demo.output()).isZero();
            assertThat(demo.output()).containsSubsequence("[shutdown] TRIGGER", "[shutdown] READINESS",
                    "[shutdown] STOP_ACCEPTING", "[shutdown] DRAIN", "[shutdown] CANCEL", "[shutdown] ABANDON",
                    "[shutdown] PERSIST", "[state] wrote ", "[shutdown] CLEANUP", "[shutdown] REPORT",
                    "outcome CLEAN, exit code 0", "report json: {", "[shutdown] EXIT");
            assertThat(Files.readString(state)).startsWith("{\"served\":6,");
            try (var left = Files.list(dir)) {
                assertThat(left.map(p -> p.getFileName().toString()).toList()).as("written atomically: no temp file")
                        .containsExactly("state.json");
            }
        }
    }

    /** On the Spring demo with the starter: the plain demo's drain test (DemoServiceIT), 1 000 requests in flight. */
    @Test
    void aThousandSlowRequestsInFlight_allCompleteAfterSigterm_readinessTurnsFirst_thenConnectionsAreRefused()
            throws Exception {
        DemoServiceIT.aThousandSlowRequestsInFlight(dir, SpringDemoIT::start, "tomcat");
    }

    @Test
    void withTheStarter_sighupKeepsServing_sigtermExitsZero_readiness503BeforeTheListenerCloses() throws Exception {
        try (var demo = start("serve", "--port", "0", "--state", DemoProcess.stateFile(dir).toString(),
                "--pre-drain-ms", "1000")) {
            URI base = demo.awaitListening();
            demo.signal("HUP");
            assertThat(demo.awaitLine("[reload] ")).contains("still serving (readiness SERVING)");
            assertThat(Http.probe(base, "/work?ms=10")).isEqualTo("200");
            assertThat(demo.isAlive()).isTrue();

            demo.signal("TERM");
            List<String> seen = readinessUntilRefused(base);
            int code = demo.waitFor();
            System.out.println("figure: starter: SIGHUP kept serving; SIGTERM exit " + code + "; readiness 503 -> "
                    + "listener closed " + seen.getLast());
            assertThat(code).as(demo.output()).isZero();
            assertThat(seen.subList(0, seen.size() - 1)).as("readiness went 503 before the listener closed")
                    .contains("503");
            assertThat(demo.output()).contains("outcome CLEAN, exit code 0");
        }
    }

    @Test
    void withTheStarter_aSecondSigtermCutsTheGrace() throws Exception {
        try (var demo = start("serve", "--port", "0", "--state", DemoProcess.stateFile(dir).toString(),
                "--pre-drain-ms", "0", "--grace-ms", "300000", "--budget-ms", "400000");
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI base = demo.awaitListening();
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(
                    base.resolve("/work?ms=600000")).build(), HttpResponse.BodyHandlers.ofString());
            awaitSlowInFlight(base);
            demo.signal("TERM");
            demo.awaitLine("[shutdown] DRAIN ...");
            demo.signal("TERM"); // the drain would wait 300 s for the 600 s request: the test's timeout is 180 s
            int code = demo.waitFor();
            System.out.println("figure: starter: second SIGTERM cut the grace, exit " + code + "; the request: "
                    + slow.handle((r, e) -> e == null ? Integer.toString(r.statusCode()) : e.getClass().getSimpleName())
                            .get(30, TimeUnit.SECONDS));
            assertThat(demo.output()).contains("\"escalated\":true");
        }
    }

    @Test
    void naive_sighupKillsIt() throws Exception {
        try (var demo = start("serve", "--port", "0", "--naive")) {
            demo.awaitListening();
            demo.signal("HUP");
            int code = demo.waitFor();
            System.out.println("figure: naive: SIGHUP exit " + code);
            assertThat(code).isEqualTo(129);
        }
    }

    @Test
    void naive_sigtermExits143_aSecondSigtermDoesNotCutTheGrace_noStateIsWritten() throws Exception {
        Path state = DemoProcess.stateFile(dir);
        try (var demo = start("serve", "--port", "0", "--naive", "--state", state.toString(), "--grace-ms", "20000");
                var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI base = demo.awaitListening();
            assertThat(demo.output()).contains("(naive: Boot's own graceful shutdown, no Quiesce)");
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(HttpRequest.newBuilder(
                    base.resolve("/work?ms=4000")).build(), HttpResponse.BodyHandlers.ofString());
            awaitSlowInFlight(base);
            demo.signal("TERM");
            List<String> seen = readinessUntilRefused(base);
            demo.signal("TERM"); // Boot's shutdown is under way (the listener is closed): it ignores this one
            assertThat(slow.get(60, TimeUnit.SECONDS).statusCode()).as("the request finished: the grace ran on")
                    .isEqualTo(200);
            int code = demo.waitFor();
            System.out.println("figure: naive: SIGTERM exit " + code + "; second SIGTERM ignored (the 4 s request"
                    + " finished); readiness 503 -> listener closed " + seen.getLast() + " " + seen);
            assertThat(code).as(demo.output()).isEqualTo(143);
            assertThat(state).doesNotExist();
        }
    }

    /** One GET on a fresh connection (Tomcat closes the connection after some error statuses, e.g. 400). */
    private static Http.Response get(URI base, String path) throws IOException {
        try (var s = Http.connect(base)) {
            return Http.exchange(s, Http.get(path));
        }
    }

    private static void awaitSlowInFlight(URI base) throws InterruptedException {
        for (;;) {
            try (var s = Http.connect(base)) {
                Matcher m = SLOW_IN_FLIGHT.matcher(Http.exchange(s, Http.get("/state")).body());
                if (m.find() && Long.parseLong(m.group(1)) >= 1) {
                    return;
                }
            } catch (IOException e) {
                // not yet
            }
            Thread.sleep(5);
        }
    }

    /**
     * Probes {@code /health/ready} on fresh connections until the connection is refused; returns the distinct answers
     * in order, then (last) how long after the first non-200 answer the refusal came ("N ms", or "no 503 seen").
     */
    private static List<String> readinessUntilRefused(URI base) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        long first503 = -1;
        String last = "";
        while (!last.equals("refused")) {
            last = Http.probe(base, "/health/ready");
            if (last.equals("503") && first503 < 0) {
                first503 = System.nanoTime();
            }
            if (seen.isEmpty() || !seen.getLast().equals(last)) {
                seen.add(last);
            }
            Thread.sleep(1);
        }
        seen.add(first503 < 0 ? "no 503 seen" : (System.nanoTime() - first503) / 1_000_000 + " ms");
        return seen;
    }
}
