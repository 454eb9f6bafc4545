package dev.quiesce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kit's HTTP/1.1 client tells apart what the contract tests assert on (a reset from a clean close, an
 * empty reply, Connection: close, a refused connection): each case against a scripted one-connection server.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Http1ClientTest {

    /** What the scripted server does with the connection once it has read the request head. */
    private interface Script {
        void run(Socket s) throws IOException;
    }

    /** Serves one connection with {@code script}, in a thread of its own; returns the client call's reply. */
    private static Reply callAgainst(Script script) throws Exception {
        try (var listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = listener.accept()) {
                    readHead(s.getInputStream());
                    script.run(s);
                } catch (IOException ignored) {
                    // the client's view is what is asserted
                }
            });
            try (var c = new Http1Client(address(listener)).open()) {
                Reply r = c.call(Route.SLOW);
                server.join();
                return r;
            }
        }
    }

    private static InetSocketAddress address(ServerSocket listener) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    }

    private static void readHead(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("no request head");
            }
            matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
        }
    }

    private static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** Closes with SO_LINGER 0: the kernel sends a RST instead of a FIN. */
    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    @Test
    void aResponseWithConnectionClose_isOk_andToldToLeave() throws Exception {
        Reply r = callAgainst(s -> write(s, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 4\r\n\r\nslow"));
        assertEquals(new Reply(Reply.Status.OK, 200, true, "slow"), r);
    }

    @Test
    void aChunkedKeptAliveResponse_isReadWhole_andNotToldToLeave() throws Exception {
        Reply r = callAgainst(s -> write(s, "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nsl\r\n2\r\now\r\n0\r\n\r\n"));
        assertEquals(new Reply(Reply.Status.UNAVAILABLE, 503, false, "slow"), r);
    }

    @Test
    void aCloseBeforeAnyResponse_isAnEmptyReply() throws Exception {
        assertEquals(Reply.Status.NO_REPLY, callAgainst(Socket::close).status());
    }

    @Test
    void aResetBeforeAnyResponse_isAReset() throws Exception {
        assertEquals(Reply.Status.RESET, callAgainst(Http1ClientTest::reset).status());
    }

    @Test
    void aResponseCutOff_isAReset() throws Exception {
        assertEquals(Reply.Status.RESET, callAgainst(s -> {
            write(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nsl");
            s.close();
        }).status());
    }

    @Test
    void awaitClosed_tellsAFinFromAReset_andAnOpenConnection() throws Exception {
        try (var listener = new ServerSocket(0, 3, InetAddress.getLoopbackAddress())) {
            var client = new Http1Client(address(listener));
            // each connect completes before the next: the accept queue hands them over in that order
            try (var fin = client.open(); var rst = client.open(); var open = client.open()) {
                Socket[] server = {listener.accept(), listener.accept(), listener.accept()};
                try {
                    server[0].shutdownOutput(); // FIN
                    reset(server[1]);
                    assertEquals(Closure.CLEAN, fin.awaitClosed(Duration.ofSeconds(10)));
                    assertEquals(Closure.RESET, rst.awaitClosed(Duration.ofSeconds(10)));
                    assertEquals(Closure.STILL_OPEN, open.awaitClosed(Duration.ofMillis(50)));
                } finally {
                    for (Socket s : server) {
                        s.close();
                    }
                }
            }
        }
    }

    @Test
    void tryConnect_refusedWithoutAListener_acceptedWithOne() throws Exception {
        InetSocketAddress closed;
        try (var listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = address(listener);
            assertEquals(IngressClient.ConnectOutcome.ACCEPTED, new Http1Client(closed).tryConnect(Duration.ofSeconds(10)));
        }
        assertEquals(IngressClient.ConnectOutcome.REFUSED, new Http1Client(closed).tryConnect(Duration.ofSeconds(10)));
        assertTrue(Http1Client.path(Route.QUICK).equals("/tck/quick") && Http1Client.path(Route.SLOW).equals("/tck/slow"));
    }
}
