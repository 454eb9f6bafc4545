package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** An SSE stream open at the drain ends cleanly (its last chunk, then a FIN) once the drain asks handlers to stop. */
class JettySseTest {
    private final CountDownLatch streaming = new CountDownLatch(1);
    private Shutdown shutdown;

    @AfterEach
    void end() throws Exception {
        if (shutdown != null) {
            shutdown.initiate("test ended");
            shutdown.escalate();
            shutdown.awaitTermination(Duration.ofSeconds(30));
        }
    }

    /** Sends an event every few ms until the scope is asked to stop, then ends the stream. */
    private final Handler events = new Handler.Abstract() {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
            while (!Scope.stopRequested()) {
                try (Blocker.Callback sent = Blocker.callback()) {
                    response.write(false, ByteBuffer.wrap("data: tick\n\n".getBytes(StandardCharsets.UTF_8)), sent);
                    sent.block();
                }
                streaming.countDown();
                Thread.sleep(5); // the stream's pace, not a synchronisation
            }
            response.write(true, ByteBuffer.wrap("event: bye\ndata: going away\n\n".getBytes(StandardCharsets.UTF_8)),
                    callback);
            return true;
        }
    };

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a socket read
    void anSseStreamOpenAtTheDrain_endsCleanly_andTheDrainIsClean() throws Exception {
        shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(30)).gracePeriod(Duration.ofMinutes(10)).start();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(events).start();
        shutdown.markReady();
        try (Socket s = new Socket("127.0.0.1", jetty.port())) {
            s.getOutputStream().write("GET /events HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            streaming.await();
            shutdown.initiate("test: an SSE stream at the drain");
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            var all = new ByteArrayOutputStream();
            in.transferTo(all); // to the server's FIN; a reset throws
            String text = all.toString(StandardCharsets.US_ASCII);
            assertTrue(text.startsWith("HTTP/1.1 200"), text);
            assertTrue(text.contains("data: tick"), text);
            assertTrue(text.contains("event: bye"), "the handler ended its stream: " + text);
            assertTrue(text.endsWith("\r\n0\r\n\r\n"), "the stream ends with the last chunk, cleanly: " + text);
        }
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        IngressDescription d = report.ingresses().stream().filter(i -> i.name().equals("jetty")).findFirst()
                .orElseThrow();
        assertEquals(1, d.completed(), "the stream is a request that completed: " + d);
        assertEquals(1, d.drained(), "it completed in the drain: " + d);
    }
}
