package dev.quiesce.http;

import static dev.quiesce.Threads.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What holds, and what must not hold, the drain of a {@link DrainingHttpServer}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainingHttpServerDrainTest {
    private static final int SLOW_CLIENTS = 20;

    /**
     * Regression (issue 12): clients sending their request head a byte at a time kept DRAIN open for the whole
     * grace period; the shutdown ended FORCED and counted them as cancelled. The JDK's server hands a connection
     * over on its first byte and reads the head in the exchange's thread, so the server's service waited for
     * those threads. With the slow clients present, the shutdown must end CLEAN as soon as the one real request
     * is done, with exact counts. The grace period here is 10 minutes: a drain held by the slow clients would
     * make the test time out.
     */
    @Test
    void slowClientsSendingTheirHead_doNotHoldTheDrain_andTheShutdownEndsCleanWhenTheRealRequestIsDone()
            throws Exception {
        var handlerRunning = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(20)).gracePeriod(Duration.ofMinutes(10)).start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                .requestHeadTimeout(Duration.ofMillis(200))
                .route("/work", DrainingHttpServerDrainTest.answersWhenReleased(handlerRunning, release))
                .start();
        shutdown.markReady();
        awaitTrue(() -> httpExchangesRunning() == 0); // the server's own check of its listener at start

        var realResponse = new java.util.concurrent.atomic.AtomicReference<String>();
        Thread real = Thread.ofVirtual().start(() -> realResponse.set(exchange(server.port(), "GET /work HTTP/1.1\r\n"
                + "Host: test\r\n\r\n")));
        handlerRunning.await();

        List<Socket> slow = new ArrayList<>();
        try {
            byte[] partialHead = "GET /work HTTP/1.1\r\nHost: te".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                s.setSoTimeout(15_000); // a bound against a hang only: a slow client still open then fails the test
                slow.add(s);
                OutputStream out = s.getOutputStream();
                for (byte b : partialHead) { // a byte at a time; the head is never finished
                    out.write(b);
                    out.flush();
                }
            }
            // each slow connection is handed over and its exchange reads its head in the http scope
            awaitTrue(() -> httpExchangesRunning() == 1 + SLOW_CLIENTS);
            assertThat(shutdown.inFlight().inFlight()).as("a head not yet read is not a request").isEqualTo(1);

            shutdown.initiate("rolling update");
            awaitTrue(() -> shutdown.phase().orElse(null) == Phase.DRAIN);
            // the slow connections are closed once draining: a read sees the end of the stream, or a reset
            for (Socket s : slow) {
                assertThat(readAll(s.getInputStream())).as("what a slow client got").isEmpty();
            }
            release.countDown();
            ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(20)).orElseThrow(
                    () -> new AssertionError("the drain did not end when the real request was done"));
            real.join();

            assertThat(realResponse.get()).startsWith("HTTP/1.1 200").containsIgnoringCase("Connection: close");
            assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
            assertThat(report.exitCode()).isZero();
            assertThat(report.requestsInFlightAtTrigger()).isEqualTo(1);
            assertThat(report.requestsDrained()).isEqualTo(1);
            assertThat(report.requestsInFlightAtCancel()).isZero();
            assertThat(report.tasksCancelled()).isZero();
            assertThat(server.slowHeadsClosed()).isEqualTo(SLOW_CLIENTS);
            assertThat(server.requests().entered()).isEqualTo(1);
            assertThat(server.drained()).isEqualTo(1);
            assertThat(server.cancelled()).isZero();
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    private static final int LOAD_CLIENTS = 64;

    /**
     * Regression (issue 12): with load running straight through the shutdown, requests were lost around the
     * listener's close. Clients here keep their connection alive and reconnect when the server says
     * {@code Connection: close}, and none of them looks at readiness. Every request sent on an accepted
     * connection must be answered: the only other outcome allowed is a refused connect, once the listener is
     * closed. Before the fix every response of the pre-drain carried {@code Connection: close}, every client
     * reconnected on every request, and the connections queued in the kernel at the close were reset.
     */
    @Test
    void continuousKeepAliveLoad_throughTheShutdown_losesNothing_onlyAnsweredRequestsOrRefusedConnects()
            throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .preDrainDelay(Duration.ofMillis(300)).gracePeriod(Duration.ofSeconds(15)).start();
        DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
                .route("/ok", ex -> {
                    byte[] b = "ok".getBytes(StandardCharsets.US_ASCII);
                    ex.sendResponseHeaders(200, b.length);
                    ex.getResponseBody().write(b);
                })
                .start();
        shutdown.markReady();
        var warm = new CountDownLatch(LOAD_CLIENTS); // each client has been answered at least once
        var stats = new LoadStats();
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < LOAD_CLIENTS; i++) {
            clients.add(Thread.ofPlatform().name("load-" + i).start(() -> keepAliveClient(server.port(), warm, stats)));
        }
        warm.await();
        shutdown.initiate("rolling update");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(40)).orElseThrow();
        for (Thread t : clients) {
            t.join();
        }
        assertThat(stats.losses).as("requests lost on an accepted connection: " + stats.lossKinds).isEmpty();
        assertThat(stats.refused.get()).as("clients that ended with a refused connect").isEqualTo(LOAD_CLIENTS);
        assertThat(server.requests().completed()).as("requests the server completed").isEqualTo(stats.ok.get());
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    /** What the load clients saw. */
    static final class LoadStats {
        final java.util.concurrent.atomic.AtomicLong ok = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
        final java.util.Queue<String> losses = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.Map<String, Integer> lossKinds = new java.util.concurrent.ConcurrentHashMap<>();

        void lost(String kind) {
            losses.add(kind);
            lossKinds.merge(kind, 1, Integer::sum);
        }
    }

    /**
     * Sends requests back to back on one kept-alive connection, reconnecting when a response says
     * {@code Connection: close}, until a connect is refused. A request on an accepted connection that gets no
     * complete response (an empty reply, a reset, a truncated response) is a loss.
     */
    static void keepAliveClient(int port, CountDownLatch warm, LoadStats stats) {
        boolean counted = false;
        byte[] request = "GET /ok HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        for (;;) {
            Socket s = new Socket();
            try {
                s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            } catch (IOException refused) {
                stats.refused.incrementAndGet();
                closeQuietly(s);
                return;
            }
            try (s) {
                s.setSoTimeout(10_000);
                var in = new java.io.BufferedInputStream(s.getInputStream());
                boolean keepAlive = true;
                while (keepAlive) {
                    s.getOutputStream().write(request);
                    s.getOutputStream().flush();
                    String head = readHead(in);
                    if (head.isEmpty()) {
                        stats.lost("empty reply");
                        return;
                    }
                    if (!head.startsWith("HTTP/1.1 200") || !readBody(in, head)) {
                        stats.lost("bad response: " + head.lines().findFirst().orElse(""));
                        return;
                    }
                    stats.ok.incrementAndGet();
                    if (!counted) {
                        counted = true;
                        warm.countDown();
                    }
                    keepAlive = !head.toLowerCase(java.util.Locale.ROOT).contains("connection: close");
                }
            } catch (java.net.SocketTimeoutException e) {
                stats.lost("no answer in 10 s");
                return;
            } catch (IOException e) {
                stats.lost(e.getClass().getSimpleName() + ": " + e.getMessage()); // a reset, a broken pipe
                return;
            }
        }
    }

    /** The response head up to its blank line, or "" if the stream ended first. */
    private static String readHead(InputStream in) throws IOException {
        var sb = new StringBuilder();
        for (int c; (c = in.read()) != -1; ) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.lastIndexOf("\r\n\r\n") == sb.length() - 4) {
                return sb.toString();
            }
        }
        return "";
    }

    private static boolean readBody(InputStream in, String head) throws IOException {
        var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return in.readNBytes(length).length == length;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }

    @Test
    void requestHeadTimeoutAndCloseGrace_refuseBadValues_withWhatToDo() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).requestHeadTimeout(Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be positive")
                    .hasMessageContaining("requestHeadTimeout(Duration.ofSeconds(1))");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).closeGrace(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..10 s");
            assertThatThrownBy(() -> DrainingHttpServer.builder(shutdown).closeGrace(Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..10 s");
        } finally {
            shutdown.initiate("over");
            shutdown.awaitTermination();
        }
    }

    /** A handler that counts {@code running} down, then answers 200 once {@code release} is. */
    static com.sun.net.httpserver.HttpHandler answersWhenReleased(CountDownLatch running, CountDownLatch release) {
        return ex -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            ex.sendResponseHeaders(200, -1);
        };
    }

    /** Sends {@code request} on a new connection and returns all it reads until the server closes it. */
    static String exchange(int port, String request) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** All bytes until the end of the stream; a reset ends it too (what was read before it is returned). */
    static String readAll(InputStream in) {
        var sb = new StringBuilder();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                sb.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
            }
        } catch (java.net.SocketTimeoutException e) {
            return sb + "(still open: nothing more read for " + Duration.ofMillis(15_000) + ")";
        } catch (IOException reset) {
            // the server closed the connection with data unread: a reset
        }
        return sb.toString();
    }

    /** Exchanges running in the http scope of this test's shutdown (each test has one). */
    static int httpExchangesRunning() {
        return Scope.snapshotAll().stream().flatMap(sn -> sn.flatten().stream())
                .filter(sn -> sn.path().endsWith("/http")).mapToInt(sn -> sn.subtasks().size()).sum();
    }
}
