package dev.quiesce.http;

import static dev.quiesce.Threads.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.quiesce.CancelReason;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The management listener: probes, tree, report and the preStop drain, up while the service port drains. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManagementServerTest {

    /** A response: status, the {@code Retry-After} and {@code Allow} headers, body. */
    record Answer(int status, String retryAfter, String allow, String body) {}

    static Answer call(String method, int port, String path) throws IOException {
        var c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        c.setRequestMethod(method);
        c.setReadTimeout(30_000); // a bound against a hang only
        try {
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Answer(status, c.getHeaderField("Retry-After"), c.getHeaderField("Allow"), body);
        } finally {
            c.disconnect();
        }
    }

    private static Shutdown shutdown(Duration platformBudget, Duration grace) {
        return Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).platformBudget(platformBudget)
                .gracePeriod(grace).start();
    }

    /** A service whose {@code /work} blocks until released; the handler's thread id is recorded. */
    private record Service(DrainingHttpServer server, CountDownLatch running, CountDownLatch release, AtomicLong tid) {
        static Service start(Shutdown shutdown) throws IOException {
            var running = new CountDownLatch(1);
            var release = new CountDownLatch(1);
            var tid = new AtomicLong();
            var server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0).route("/work", ex -> {
                tid.set(Thread.currentThread().threadId());
                running.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                Responses.sendJson(ex, 200, "{\"done\":true}");
            }).start();
            return new Service(server, running, release, tid);
        }

        CompletableFuture<Answer> request() throws InterruptedException {
            var f = new CompletableFuture<Answer>();
            Thread.ofVirtual().start(() -> {
                try {
                    f.complete(call("GET", server.port(), "/work"));
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
            running.await();
            return f;
        }
    }

    private static CompletableFuture<Answer> async(String method, int port, String path) {
        var f = new CompletableFuture<Answer>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(call(method, port, path));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    @Test
    void beforeAnyShutdown_theReportIs404WithAMessage_probesAndTreeAnswer_andWrongMethodsAre405() throws Exception {
        Shutdown shutdown = shutdown(Duration.ofSeconds(30), Duration.ofSeconds(15));
        try (var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).start()) {
            shutdown.markReady();
            Answer report = call("GET", m.port(), "/quiesce/report");
            assertThat(report.status()).isEqualTo(404);
            assertThat(report.body()).contains("no shutdown has started");
            assertThat(call("GET", m.port(), "/health/ready").status()).isEqualTo(200);
            assertThat(call("GET", m.port(), "/health/live").status()).isEqualTo(200);
            assertThat(call("GET", m.port(), "/quiesce/tree").body()).startsWith("{\"scopes\":[")
                    .contains("\"path\":\"/shutdown\"");
            Answer getDrain = call("GET", m.port(), "/quiesce/drain");
            assertThat(getDrain.status()).isEqualTo(405);
            assertThat(getDrain.allow()).isEqualTo("POST");
            assertThat(call("POST", m.port(), "/quiesce/tree").status()).isEqualTo(405);
            assertThat(call("GET", m.port(), "/nothing").status()).isEqualTo(404);
            assertThat(shutdown.isShuttingDown()).as("a GET on /quiesce/drain starts nothing").isFalse();
            // the JDK server's dispatcher never keeps the JVM alive
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().startsWith("HTTP-Dispatcher"))
                    .isNotEmpty().allMatch(Thread::isDaemon);
        } finally {
            shutdown.initiate("test over");
            shutdown.awaitTermination();
        }
    }

    @Test
    void duringTheDrain_theServicePortRefuses_andTheManagementPortStillAnswers_untilAfterTheReport() throws Exception {
        Shutdown shutdown = shutdown(Duration.ofMinutes(20), Duration.ofMinutes(10));
        var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).start();
        try {
            Service service = Service.start(shutdown);
            shutdown.markReady();
            CompletableFuture<Answer> inFlight = service.request();

            shutdown.initiate("rolling update");
            awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), service.server().port()).close())
                    .isInstanceOf(ConnectException.class);
            Answer ready = call("GET", m.port(), "/health/ready");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.retryAfter()).isEqualTo("1");
            assertThat(ready.body()).contains("\"status\":\"DRAINING\"", "\"phase\":\"DRAIN\"", "\"inFlight\":1");
            assertThat(call("GET", m.port(), "/health/live").status()).isEqualTo(200);
            assertThat(call("GET", m.port(), "/quiesce/tree").body())
                    .contains("\"threadId\":" + service.tid().get(), "\"path\":\"/shutdown/http\"");
            assertThat(call("GET", m.port(), "/quiesce/report").body()).contains("\"inProgress\":true",
                    "\"phase\":\"DRAIN\"");

            service.release().countDown();
            assertThat(inFlight.get().status()).isEqualTo(200);
            ShutdownReport report = shutdown.awaitTermination();
            assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
            Answer after = call("GET", m.port(), "/quiesce/report");
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.body()).isEqualTo(report.toJson());
        } finally {
            m.close();
        }
    }

    @Test
    void postDrain_answersOnlyOnceTheWorkIsDone_thenHolds_andTheNextSigtermFinishesWithoutASecondDrain()
            throws Exception {
        Shutdown shutdown = shutdown(Duration.ofMinutes(20), Duration.ofMinutes(10));
        var persisted = new CountDownLatch(1);
        shutdown.onPersist("state", budget -> persisted.countDown());
        try (var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).start()) {
            Service service = Service.start(shutdown);
            shutdown.markReady();
            CompletableFuture<Answer> inFlight = service.request();

            CompletableFuture<Answer> first = async("POST", m.port(), "/quiesce/drain");
            awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
            CompletableFuture<Answer> second = async("POST", m.port(), "/quiesce/drain");
            assertThat(first).as("answered while a request is in flight").isNotDone();

            service.release().countDown();
            assertThat(inFlight.get().status()).isEqualTo(200);
            Answer a = first.get();
            Answer b = second.get();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).contains("\"drainComplete\":true", "\"trigger\":\"DRAIN_REQUEST\"",
                    "\"requestsDrained\":1", "\"requestsInFlight\":0", "\"phase\":\"DRAIN\"");
            assertThat(b).as("the second POST gets the same drain").isEqualTo(a);
            // held after the drain: nothing persisted, no report
            assertThat(shutdown.phase()).contains(Phase.DRAIN);
            assertThat(persisted.getCount()).isEqualTo(1);
            assertThat(shutdown.report()).isEmpty();
            assertThat(call("GET", m.port(), "/quiesce/report").body()).contains("\"drain\":{\"drainComplete\":true");

            shutdown.initiate(new CancelReason.Signal("TERM")); // what the signal dispatcher does on SIGTERM
            ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30))
                    .orElseThrow(() -> new AssertionError("the SIGTERM after the drain did not finish the shutdown"));
            assertThat(report.trigger()).isEqualTo("DRAIN_REQUEST");
            assertThat(report.phases()).filteredOn(p -> p.phase() == Phase.DRAIN).hasSize(1);
            assertThat(report.phases()).extracting(ShutdownReport.PhaseTiming::phase).contains(Phase.CANCEL,
                    Phase.PERSIST, Phase.CLEANUP, Phase.REPORT);
            assertThat(persisted.getCount()).isZero();
            assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
            assertThat(report.exitCode()).isZero();
            assertThat(report.requestsDrained()).isEqualTo(1);
            assertThat(shutdown.drain().toJson()).as("drain() after the end").isEqualTo(a.body());
        }
    }

    @Test
    void postDrain_withoutALaterTrigger_finishesOnItsOwn_leavingTheRestOfTheSequenceItsBudgets() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofSeconds(4)).margin(Duration.ofSeconds(1)).gracePeriod(Duration.ofSeconds(1))
                .stopAcceptingBudget(Duration.ofMillis(200)).cancelGrace(Duration.ofMillis(200))
                .persistBudget(Duration.ofMillis(200)).cleanupBudget(Duration.ofMillis(200)).start();
        try (var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).start()) {
            shutdown.markReady();
            assertThat(call("POST", m.port(), "/quiesce/drain").status()).isEqualTo(200);
            ShutdownReport report = shutdown.awaitTermination();
            assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
            assertThat(report.phases()).extracting(ShutdownReport.PhaseTiming::phase).contains(Phase.CLEANUP);
        }
    }

    @Test
    void afterDrainCallout_isPostedInCleanup_andItsOutcomeIsInTheReport() throws Exception {
        for (int answer : new int[] {204, 500}) {
            var posts = new AtomicInteger();
            HttpServer sidecar = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            sidecar.createContext("/quitquitquit", ex -> {
                try (ex) {
                    if (ex.getRequestMethod().equals("POST")) {
                        posts.incrementAndGet();
                    }
                    ex.sendResponseHeaders(answer, -1);
                }
            });
            sidecar.start();
            Shutdown shutdown = shutdown(Duration.ofSeconds(30), Duration.ofSeconds(15));
            try (var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).afterDrainCallout(URI.create(
                    "http://127.0.0.1:" + sidecar.getAddress().getPort() + "/quitquitquit")).start()) {
                shutdown.markReady();
                assertThat(call("POST", m.port(), "/quiesce/drain").status()).isEqualTo(200);
                assertThat(posts.get()).as("posted before the drain's end").isZero();
                shutdown.initiate("rolling update");
                ShutdownReport report = shutdown.awaitTermination();
                assertThat(posts.get()).isEqualTo(1);
                ShutdownReport.HookOutcome callout = report.hooks().stream()
                        .filter(h -> h.name().equals("after-drain callout")).findFirst().orElseThrow();
                assertThat(callout.phase()).isEqualTo(Phase.CLEANUP);
                if (answer == 204) {
                    assertThat(callout.status()).isEqualTo(ShutdownReport.HookStatus.OK);
                    assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
                } else {
                    assertThat(callout.status()).isEqualTo(ShutdownReport.HookStatus.FAILED);
                    assertThat(callout.error().orElseThrow()).contains("answered 500");
                    assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED);
                }
            } finally {
                sidecar.stop(0);
            }
        }
    }

    @Test
    void aBadCalloutOrPort_isRefusedWithAMessageThatSaysWhatToDo() {
        Shutdown shutdown = shutdown(Duration.ofSeconds(30), Duration.ofSeconds(15));
        try {
            var b = ManagementServer.builder(shutdown);
            assertThatThrownBy(() -> b.afterDrainCallout(URI.create("/quitquitquit")))
                    .hasMessageContaining("e.g. http://127.0.0.1:15020/quitquitquit");
            assertThatThrownBy(() -> b.bind("127.0.0.1", 70000)).hasMessageContaining("not in 0..65535; use 0 for any free port");
            assertThatThrownBy(b::start).hasMessageContaining("call bind(host, port)");
        } finally {
            shutdown.initiate("test over");
        }
    }

    private static String overUnixSocket(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theDrainSocket_drainsOnPost_refusesOtherMethodsAndPaths_andIsRemovedOnClose(@TempDir Path dir)
            throws Exception {
        Shutdown shutdown = shutdown(Duration.ofMinutes(20), Duration.ofMinutes(10));
        Path socket = dir.resolve("drain.sock");
        var m = ManagementServer.builder(shutdown).bind("127.0.0.1", 0).drainSocket(socket).start();
        try {
            Service service = Service.start(shutdown);
            shutdown.markReady();
            assertThat(overUnixSocket(socket, "GET /quiesce/drain HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    .startsWith("HTTP/1.1 405 ").contains("Allow: POST");
            assertThat(overUnixSocket(socket, "POST /elsewhere HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                    .startsWith("HTTP/1.1 404 ");
            assertThat(shutdown.isShuttingDown()).isFalse();
            CompletableFuture<Answer> inFlight = service.request();

            var drained = new CompletableFuture<String>();
            Thread.ofVirtual().start(() -> {
                try {
                    drained.complete(overUnixSocket(socket, "POST /quiesce/drain HTTP/1.1\r\nHost: localhost\r\n"
                            + "Content-Length: 0\r\n\r\n"));
                } catch (IOException e) {
                    drained.completeExceptionally(e);
                }
            });
            awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
            assertThat(drained).as("answered while a request is in flight").isNotDone();
            service.release().countDown();
            assertThat(inFlight.get().status()).isEqualTo(200);
            assertThat(drained.get()).startsWith("HTTP/1.1 200 OK\r\n").contains("Connection: close",
                    "\"drainComplete\":true", "\"requestsDrained\":1");
            shutdown.initiate(new CancelReason.Signal("TERM"));
            assertThat(shutdown.awaitTermination().outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        } finally {
            m.close();
        }
        assertThat(socket).doesNotExist();
    }
}
