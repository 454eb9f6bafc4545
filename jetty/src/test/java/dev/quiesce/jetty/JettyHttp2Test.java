package dev.quiesce.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quiesce.shutdown.IngressDescription;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HTTP/2 (h2c) through the drain: GOAWAY at the drain's start, in-flight streams complete, new ones are refused. */
class JettyHttp2Test {
    private final SlowApp app = new SlowApp();
    private final HTTP2Client client = new HTTP2Client();
    private Shutdown shutdown;

    @AfterEach
    void end() throws Exception {
        app.end(shutdown);
        client.stop();
    }

    /** A response as the h2 client saw it: status and body, or the reset / failure that ended the stream. */
    private record H2Reply(int status, String body, String failure) {}

    private static CompletableFuture<H2Reply> get(Session session, int port, String path) {
        var reply = new CompletableFuture<H2Reply>();
        var body = new ByteArrayOutputStream();
        var status = new AtomicInteger();
        var request = new MetaData.Request("GET", HttpURI.from("http://127.0.0.1:" + port + path), HttpVersion.HTTP_2,
                HttpFields.EMPTY);
        session.newStream(new HeadersFrame(request, null, true), new Stream.Listener() {
            @Override
            public void onHeaders(Stream stream, HeadersFrame frame) {
                status.set(((MetaData.Response) frame.getMetaData()).getStatus());
                if (frame.isEndStream()) {
                    reply.complete(new H2Reply(status.get(), "", null));
                } else {
                    stream.demand();
                }
            }

            @Override
            public void onDataAvailable(Stream stream) {
                Stream.Data data = stream.readData();
                if (data == null) {
                    stream.demand();
                    return;
                }
                ByteBuffer b = data.frame().getByteBuffer();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                body.writeBytes(bytes);
                boolean last = data.frame().isEndStream();
                data.release();
                if (last) {
                    reply.complete(new H2Reply(status.get(), body.toString(StandardCharsets.UTF_8), null));
                } else {
                    stream.demand();
                }
            }

            @Override
            public void onReset(Stream stream, ResetFrame frame, Callback callback) {
                reply.complete(new H2Reply(0, "", "reset " + frame.getError()));
                callback.succeeded();
            }
        }).whenComplete((stream, failure) -> {
            if (failure != null) {
                reply.completeExceptionally(failure);
            }
        });
        return reply;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anInFlightStreamCompletes_andANewStreamOnTheConnectionIsRefused_afterGoAway() throws Exception {
        shutdown = SlowApp.shutdown().gracePeriod(Duration.ofMinutes(10)).start();
        QuiesceJetty jetty = QuiesceJetty.builder(shutdown).bind("127.0.0.1", 0).handler(app).start();
        shutdown.markReady();
        int port = jetty.port();
        client.start();
        var goAway = new CompletableFuture<GoAwayFrame>();
        Session session = client.connect(new InetSocketAddress("127.0.0.1", port), new Session.Listener() {
            @Override
            public void onGoAway(Session s, GoAwayFrame frame) {
                goAway.complete(frame);
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(new H2Reply(200, "ok", null), get(session, port, "/quick").get(10, TimeUnit.SECONDS),
                "precondition: h2c is served");

        CompletableFuture<H2Reply> inFlight = get(session, port, "/slow");
        app.slowEntered.await();
        shutdown.initiate("test: h2 through the drain");
        GoAwayFrame frame = goAway.get(); // sent at the drain's start, while the stream is still in flight
        assertEquals(0, frame.getError(), "a graceful GOAWAY carries NO_ERROR: " + frame);
        assertTrue(!inFlight.isDone(), "the GOAWAY must come while the stream is in flight, not after it");

        var refused = get(session, port, "/quick");
        ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS),
                "after GOAWAY a new stream on the connection must be refused");
        assertTrue(e.getCause() != null, "refused with a cause: " + e);

        app.release.countDown();
        assertEquals(new H2Reply(200, "ok", null), inFlight.get(10, TimeUnit.SECONDS),
                "the stream in flight at GOAWAY must complete");
        ShutdownReport report = shutdown.awaitTermination();
        assertEquals(ShutdownReport.Outcome.CLEAN, report.outcome(), report::toText);
        IngressDescription d = report.ingresses().stream().filter(i -> i.name().equals("jetty")).findFirst()
                .orElseThrow();
        assertEquals(new IngressDescription("jetty", "HTTP/1.1+h2c", "127.0.0.1:" + port, 2, 2, 1, 0, 0), d,
                "the refused stream is no request");
        assertEquals(2, app.handled.get(), "the refused stream never reached the handler");
        assertTrue(app.slowThread.get().matches("/shutdown/http/req-\\d+"), "a request's thread is named"
                + " <scope path>/req-N: " + app.slowThread.get());
        assertEquals("/shutdown/http", app.slowScope.get(), "a request runs in the scope /shutdown/http");
    }
}
