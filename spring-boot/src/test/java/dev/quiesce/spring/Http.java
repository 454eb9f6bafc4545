package dev.quiesce.spring;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A raw HTTP/1.1 client (so the tests see the Connection header and the connection itself) and a poller. */
final class Http {
    private Http() {}

    /** A connection to 127.0.0.1:{@code port}. */
    static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(60_000);
        return s;
    }

    /** Sends a kept-alive GET. */
    static void send(Socket s, String path) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads one response (head and a Content-Length or chunked body) as text. */
    static String read(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after: " + head);
            }
            head.append((char) b);
        }
        String h = head.toString().toLowerCase(java.util.Locale.ROOT);
        StringBuilder body = new StringBuilder();
        int cl = h.indexOf("content-length:");
        if (cl >= 0) {
            int n = Integer.parseInt(h.substring(cl + 15, h.indexOf("\r\n", cl)).trim());
            for (int i = 0; i < n; i++) {
                body.append((char) in.read());
            }
        } else if (h.contains("transfer-encoding: chunked")) {
            for (;;) {
                StringBuilder line = new StringBuilder();
                while (!line.toString().endsWith("\r\n")) {
                    line.append((char) in.read());
                }
                int n = Integer.parseInt(line.toString().trim(), 16);
                for (int i = 0; i < n + 2; i++) {
                    body.append((char) in.read());
                }
                if (n == 0) {
                    break;
                }
            }
        }
        return head + body.toString();
    }

    /** One request on a new connection. */
    static String get(int port, String path) throws IOException {
        try (Socket s = connect(port)) {
            send(s, path);
            return read(s);
        }
    }

    /** Whether a new connection to {@code port} is refused. */
    static boolean refused(int port) {
        try {
            connect(port).close();
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Polls {@code condition} (observed state, not a timing) until it holds. */
    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }
}
