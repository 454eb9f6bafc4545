package dev.quiesce.http;

import static dev.quiesce.Threads.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpHandler;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Readiness;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adapter in-process; the end-to-end tests with a child JVM and SIGTERM are in samples (DemoServiceIT). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainingHttpServerTest {

    /** A response read with HttpURLConnection (module java.base; the test is patched into dev.quiesce). */
    record Response(int statusCode, String body, java.util.Map<String, java.util.List<String>> headers) {
        java.util.Optional<String> header(String name) {
            return headers.entrySet().stream().filter(e -> name.equalsIgnoreCase(e.getKey()))
                    .map(e -> e.getValue().get(0)).findFirst();
        }
    }

    private static Response request(URI uri, String method, String body) throws IOException {
        var c = (HttpURLConnection) uri.toURL().openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
        int code = c.getResponseCode();
        InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream();
        String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return new Response(code, text, c.getHeaderFields());
    }

    private static Response get(URI uri) throws IOException {
        return request(uri, "GET", null);
    }

    @Test
    void healthFollowsReadiness_andRequestsRunInTheHttpScope() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(5)).preDrainDelay(Duration.ofMinutes(1))
                .start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                .route("/where", ex -> {
                    byte[] b = (Thread.currentThread().getName() + " " + Scope.current().path() + " "
                            + (server(ex) == null)).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, b.length);
                    ex.getResponseBody().write(b);
                })
                .maxRequestBody(10)
                .start();
        URI base = URI.create("http://127.0.0.1:" + server.port());
        {
            assertThat(get(base.resolve("/health/live")).statusCode()).isEqualTo(200);
            assertThat(get(base.resolve("/health/ready")).statusCode()).isEqualTo(503); // STARTING
            shutdown.markReady();
            var ready = get(base.resolve("/health/ready"));
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"SERVING\"").contains("\"inFlight\":0");
            assertThat(ready.header("Connection")).isEmpty();

            assertThat(get(base.resolve("/where")).body()).matches("/shutdown/http/req-\\d+ /shutdown/http true");
            assertThat(get(base.resolve("/nothing")).statusCode()).isEqualTo(404);
            var big = request(base.resolve("/where"), "POST", "more than ten bytes");
            assertThat(big.statusCode()).isEqualTo(413);

            shutdown.initiate("test");
            // the READINESS phase sets DRAINING, then waits out the one-minute pre-drain delay
            shutdown.readiness().await(Readiness.State.DRAINING);
            var draining = get(base.resolve("/health/ready"));
            assertThat(draining.statusCode()).isEqualTo(503);
            assertThat(draining.body()).contains("\"status\":\"DRAINING\"").contains("\"phase\":\"READINESS\"")
                    .contains("\"remainingMillis\":");
            assertThat(draining.header("Retry-After")).contains("1");
            assertThat(draining.header("Connection")).contains("close");
            assertThat(get(base.resolve("/health/live")).statusCode()).isEqualTo(200);
        }
        // A response reaches the client before its exchange ends, and a connection the client closes is
        // handed to the executor (and counted) until the server has read its end: wait until none is left.
        assertThat(shutdown.inFlight().awaitIdle(Duration.ofSeconds(30))).isTrue();
        shutdown.escalate();
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.hooks()).anySatisfy(h -> assertThat(h.name()).isEqualTo("http"));
        // escalation cancels at once: the HTTP service may still be closing its connections then
        assertThat(report.outcome()).isIn(ShutdownReport.Outcome.CLEAN, ShutdownReport.Outcome.FORCED);
        assertThat(report.requestsInFlightAtCancel()).isZero();
    }

    @Test
    void aRequestAlreadyRunningWhenTheDrainStarts_alsoGetsConnectionClose() throws Exception {
        var handlerRunning = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                .route("/slow", DrainingHttpServerDrainTest.answersWhenReleased(handlerRunning, release))
                .start();
        shutdown.markReady();
        var response = new java.util.concurrent.atomic.AtomicReference<Response>();
        Thread client = Thread.ofVirtual().start(() -> {
            try {
                response.set(get(URI.create("http://127.0.0.1:" + server.port() + "/slow")));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        handlerRunning.await(); // the request is in the handler, before the drain
        shutdown.initiate("drain");
        // Connection: close from the listener's close on (keep-alive in the pre-drain: see DrainingHttpServerDrainTest)
        awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
        release.countDown();
        client.join();
        assertThat(response.get().statusCode()).isEqualTo(200);
        assertThat(response.get().header("Connection")).contains("close");
        shutdown.awaitTermination();
    }

    private static Object server(com.sun.net.httpserver.HttpExchange ex) {
        return ex.getAttribute("no-such-attribute");
    }

    @Test
    void anExchangeThatNeverReachesAHandler_isNotCountedAsDrainedWork() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        DrainingHttpServer server = okServer(shutdown);
        shutdown.markReady();
        var tracker = shutdown.inFlight();
        awaitIdle(tracker);
        long completedBefore = tracker.completed(); // the server's own check of its listener at start included
        assertThat(get(URI.create("http://127.0.0.1:" + server.port() + "/ok")).statusCode()).isEqualTo(200);
        awaitIdle(tracker);
        assertThat(tracker.completed()).isEqualTo(completedBefore + 1);

        // The JDK's server hands a connection to the executor as soon as it is readable, before it has read a
        // request: a connection closed without one (a connect-only probe, an idle keep-alive connection the
        // client drops) or a request line it rejects itself ends there, without reaching a handler.
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.port())) {
            socket.getOutputStream().write("NOT-HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400");
        }
        awaitIdle(tracker);
        assertThat(tracker.completed()).as("completed work").isEqualTo(completedBefore + 1);

        shutdown.initiate("over");
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.requestsDrained()).isZero();
    }

    @Test
    void aConnectionStillSendingItsRequest_isNotARequestYet_butTheDrainWaitsForIt() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .gracePeriod(Duration.ofSeconds(15)).start();
        DrainingHttpServer server = okServer(shutdown);
        shutdown.markReady();
        awaitTrue(() -> httpExchangesRunning() == 0); // the server's own check of its listener at start
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.port())) {
            var out = socket.getOutputStream();
            out.write("GET /ok HTTP/1.1\r\nHost: test\r\n".getBytes(StandardCharsets.US_ASCII)); // headers not ended
            out.flush();
            // the JDK's server has handed the connection over: its exchange runs in the http scope, reading
            awaitTrue(() -> httpExchangesRunning() == 1);
            assertThat(shutdown.inFlight().inFlight()).as("a request not yet read is not in flight").isZero();

            shutdown.initiate("drain");
            awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
            // the shutdown's tracker is idle, but the drain must not close the connection under the request
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 200").containsIgnoringCase("Connection: close");
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.requestsInFlightAtTrigger()).isZero();
        assertThat(report.requestsDrained()).isEqualTo(1);
        assertThat(report.requestsInFlightAtCancel()).isZero();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    /** A server with one route, {@code /ok}, that answers 200 with no body. */
    private static DrainingHttpServer okServer(Shutdown shutdown) throws IOException {
        return DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                .route("/ok", ex -> {
                    ex.sendResponseHeaders(200, -1);
                    ex.close();
                })
                .start();
    }

    /** Exchanges running in the http scope of this test's shutdown (each test has one). */
    private static int httpExchangesRunning() {
        return Scope.snapshotAll().stream().flatMap(sn -> sn.flatten().stream())
                .filter(sn -> sn.path().endsWith("/http")).mapToInt(sn -> sn.subtasks().size()).sum();
    }

    private static void awaitIdle(dev.quiesce.shutdown.InFlightTracker tracker) {
        awaitTrue(() -> tracker.inFlight() == 0);
    }

    @Test
    void badConfiguration_isRefused() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 70000))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 for any free port");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind(" ", 8080))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"0.0.0.0\" for every interface");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind("no-such-host.invalid", 8080))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot resolve host");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("work", ex -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must start with '/'");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("/a", ex -> { }).route("/a", ex -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
        assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
    }

    /** Regression: port(8080) bound 127.0.0.1 only, so a server configured as the README said was unreachable. */
    @Test
    void startWithoutAnAddress_isRefused_withAMessageThatSaysHowToChooseOne() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("/a", ex -> { }).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("call bind(host, port)")
                    .hasMessageContaining("bind(\"0.0.0.0\", 8080)")
                    .hasMessageContaining("bind(\"127.0.0.1\", 0)");
            DrainingHttpServer everywhere = DrainingHttpServer.builder(shutdown).bind("0.0.0.0", 0).start();
            assertThat(everywhere.address().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(get(URI.create("http://127.0.0.1:" + everywhere.port() + "/health/live")).statusCode())
                    .isEqualTo(200);
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    // ------------------------------------------------------------------ issue 11 regressions

    /** Regression: a route on a health path failed in the JDK with "cannot add context to list". */
    @Test
    void aRouteOnAHealthPath_isRefused_withAMessageThatSaysWhatToDo() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("/health/live", ex -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("/health/live is the server's own liveness endpoint")
                    .hasMessageContaining("healthPaths(live, ready)");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("/health/ready", ex -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("/health/ready is the server's own readiness endpoint");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).healthPaths("/live", "/ready")
                    .route("/ready", ex -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readiness endpoint");
            // in the other order: the route first, then health paths onto it
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).route("/status", ex -> { })
                    .healthPaths("/status", "/ready"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a route is already registered on /status");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).healthPaths("/h", "/h"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need two paths");
            // the old default paths are free once the health endpoints have moved
            DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                    .healthPaths("/live", "/ready").route("/health/live", ex -> {
                        ex.sendResponseHeaders(204, -1);
                        ex.close();
                    }).start();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            assertThat(get(base.resolve("/health/live")).statusCode()).isEqualTo(204);
            assertThat(get(base.resolve("/live")).statusCode()).isEqualTo(200);
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    /** Regression: a port in use gave the JDK's bare "Address already in use" and left a socket open each time. */
    @Test
    void aPortInUse_failsWithTheAddressAndWhatToDo_andLeavesNoSocketThreadOrRegistration() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try (var taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind("127.0.0.1", port).start())
                    .isInstanceOf(java.net.BindException.class)
                    .hasMessage("cannot listen on 127.0.0.1:" + port + ": address already in use; pick another port"
                            + " or stop the process that holds it")
                    .hasCauseInstanceOf(java.net.BindException.class);
            int failures = 20;
            long fdsBefore = openFileDescriptors();
            for (int i = 0; i < failures; i++) {
                assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).bind("127.0.0.1", port).start())
                        .isInstanceOf(java.net.BindException.class);
            }
            // not one socket per failure (other threads of this JVM may open a few files meanwhile)
            assertThat(openFileDescriptors() - fdsBefore).as("file descriptors left open").isLessThan(failures);
            assertThat(httpExchangesRunning()).isZero();
            assertThat(shutdown.scope().snapshot().toText()).doesNotContain("http");
        } finally {
            shutdown.initiate("over");
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.hooks()).noneSatisfy(h -> assertThat(h.name()).isEqualTo("http"));
    }

    private static long openFileDescriptors() throws IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Regression: a handler's exception went to the client as the 500's body (String.valueOf(e)). */
    @Test
    void aHandlerThatThrows_answers500WithAGenericBody_andIsLoggedOnceWithItsStackTrace() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try (var logs = dev.quiesce.internal.LogCapture.start()) {
            DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                    .route("/bug", ex -> {
                        throw new IllegalStateException("jdbc:postgresql://db.internal/orders password=hunter2");
                    })
                    .route("/io-bug", ex -> {
                        throw new java.io.FileNotFoundException("/etc/service/secret.key");
                    })
                    .start();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            for (String path : new String[] {"/bug", "/io-bug"}) {
                Response r = get(base.resolve(path));
                assertThat(r.statusCode()).isEqualTo(500);
                assertThat(r.body()).isEqualTo("{\"error\":\"internal server error\"}")
                        .doesNotContain("Exception").doesNotContain("hunter2").doesNotContain("secret");
            }
            awaitIdle(shutdown.inFlight());
            var errors = logs.from("dev.quiesce.http").stream().filter(e -> e.throwable() != null).toList();
            assertThat(errors).as("one log event each, with the exception").hasSize(2)
                    .allSatisfy(e -> assertThat(e.level()).isEqualTo(org.slf4j.event.Level.ERROR));
            assertThat(errors.get(0).message()).contains("GET /bug");
            assertThat(errors.get(0).throwable()).hasMessageContaining("hunter2");
            assertThat(errors.get(1).throwable()).isInstanceOf(java.io.FileNotFoundException.class);
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    /** Regression: HEAD logged a WARN with a stack trace per request (1 000 requests: 1.7 MB of log). */
    @Test
    void head_answersLikeGetWithoutABody_onHealthAndRoutes_andLogsNoStackTrace() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try (var logs = dev.quiesce.internal.LogCapture.start()) {
            byte[] page = "{\"orders\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);
            DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                    .route("/orders", ex -> { // written for GET only, as most handlers are
                        ex.getResponseHeaders().set("Content-Type", "application/json");
                        ex.sendResponseHeaders(200, page.length);
                        try (var out = ex.getResponseBody()) {
                            out.write(page);
                        }
                    })
                    .start();
            shutdown.markReady();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            for (String path : new String[] {"/health/live", "/health/ready", "/orders", "/nothing"}) {
                Response getResponse = get(base.resolve(path));
                String raw = rawHead(server.port(), path);
                assertThat(raw).as(path).startsWith("HTTP/1.1 " + getResponse.statusCode() + " ")
                        .containsIgnoringCase("Content-Length: " + getResponse.body().length() + "\r\n")
                        .containsIgnoringCase("Content-Type: application/json")
                        .endsWith("\r\n\r\n"); // and nothing after the headers
            }
            for (int i = 0; i < 50; i++) {
                assertThat(request(base.resolve(i % 2 == 0 ? "/orders" : "/health/ready"), "HEAD", null).statusCode())
                        .isEqualTo(200);
            }
            awaitIdle(shutdown.inFlight());
            assertThat(logs.withStackTrace()).as("stack traces logged").isEmpty();
            assertThat(logs.atLeast(org.slf4j.event.Level.WARN)).as("warnings logged").isEmpty();
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    /** Sends HEAD on its own connection (Connection: close) and returns everything the server sent. */
    private static String rawHead(int port, String path) throws IOException {
        try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
            socket.getOutputStream().write(("HEAD " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** A client that resets its connection while the handler writes is the client's doing: no stack trace. */
    @Test
    void aClientThatResetsMidResponse_isLoggedWithoutAStackTrace() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        var requestArrived = new CountDownLatch(1);
        var clientGone = new CountDownLatch(1);
        var handlerFailed = new java.util.concurrent.atomic.AtomicReference<IOException>();
        try (var logs = dev.quiesce.internal.LogCapture.start()) {
            DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                    .route("/big", ex -> {
                        requestArrived.countDown();
                        try {
                            clientGone.await();
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                        byte[] chunk = new byte[64 * 1024];
                        ex.sendResponseHeaders(200, 0); // chunked
                        try (var out = ex.getResponseBody()) {
                            for (int i = 0; i < 1024; i++) { // 64 MiB: far more than any socket buffer
                                out.write(chunk);
                            }
                        } catch (IOException e) {
                            handlerFailed.set(e);
                            throw e;
                        }
                    })
                    .start();
            try (var socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), server.port())) {
                socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                requestArrived.await();
                socket.setSoLinger(true, 0); // close with a reset
            }
            clientGone.countDown();
            awaitIdle(shutdown.inFlight());
            assertThat(handlerFailed.get()).as("the handler's write failed").isNotNull();
            assertThat(logs.withStackTrace().stream().filter(e -> e.level().toInt() > org.slf4j.event.Level.DEBUG.toInt()))
                    .as("stack traces logged above DEBUG").isEmpty();
            assertThat(logs.atLeast(org.slf4j.event.Level.WARN)).as("warnings logged").isEmpty();
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    /**
     * Regression: STOP_ACCEPTING checked its listener with a connect every millisecond from the moment the stop
     * began, so a server slow to close accepted its own probes as connections. Here the stopping thread is held
     * before it calls the JDK's stop() until the server accepts a connection, or 200 ms pass: the server must
     * accept none during the stop, and refuse new connections once the phase is over.
     */
    @Test
    void stopAccepting_triesNoConnectionTheServerAccepts_andRefusesNewOnesWhenTheDrainStarts() throws Exception {
        var server = new java.util.concurrent.atomic.AtomicReference<DrainingHttpServer>();
        var refusedWhenDrainStarted = new java.util.concurrent.atomic.AtomicReference<String>();
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .preDrainDelay(Duration.ZERO)
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.DRAIN) {
                            refusedWhenDrainStarted.set(connectOutcome(server.get().port()));
                        }
                    }
                })
                .start();
        server.set(okServer(shutdown));
        shutdown.markReady();
        awaitTrue(() -> server.get().connectionsSeen() == 1); // the server's own check of its listener at start
        server.get().beforeJdkStop(() -> {
            long deadline = System.nanoTime() + Duration.ofMillis(200).toNanos();
            while (server.get().connectionsSeen() == 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // runnable, as a stop() that has not closed its listener yet
            }
        });
        shutdown.initiate("stop");
        shutdown.awaitTermination();
        assertThat(server.get().connectionsSeen() - 1).as("connections the server accepted during the stop").isZero();
        assertThat(refusedWhenDrainStarted.get()).isEqualTo("refused");
    }

    private static String connectOutcome(int port) {
        try (var socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 5_000);
            return "connected";
        } catch (java.net.ConnectException e) {
            return "refused";
        } catch (IOException e) {
            return e.toString();
        }
    }
    @Test
    void twoServersOfOneShutdown_needTwoNames_andEachIsItsOwnIngressInTheReport() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(5)).start();
        HttpHandler ok = ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        };
        DrainingHttpServer service = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0).route("/a", ok).start();
        var sameName = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0).route("/b", ok);
        assertThatThrownBy(sameName::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("named 'http'").hasMessageContaining(".name(\"admin\")");
        assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).name("a/b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without '/'");
        DrainingHttpServer admin = DrainingHttpServer.builder(shutdown).name("admin").bind("127.0.0.1", 0)
                .route("/b", ok).start();
        assertThat(get(URI.create("http://127.0.0.1:" + service.port() + "/a")).statusCode()).isEqualTo(200);
        assertThat(get(URI.create("http://127.0.0.1:" + admin.port() + "/b")).statusCode()).isEqualTo(200);
        assertThat(get(URI.create("http://127.0.0.1:" + admin.port() + "/b")).statusCode()).isEqualTo(200);

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.ingresses()).extracting(e -> e.name() + " " + e.accepted() + " " + e.completed())
                .containsExactly("http 1 1", "admin 2 2");
    }
}
