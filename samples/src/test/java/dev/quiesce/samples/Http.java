package dev.quiesce.samples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Raw HTTP/1.1 over a socket, for tests that must see connections and headers exactly. */
final class Http {
    private Http() {}

    /** One response: status, raw headers (lower-cased names), body. */
    record Response(int status, String headers, String body) {
        boolean closes() {
            return headers.toLowerCase(Locale.ROOT).contains("\nconnection: close");
        }
    }

    static Socket connect(URI base) throws IOException {
        var s = new Socket();
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
        s.setSoTimeout(30_000); // a hang fails the read instead of the test run
        return s;
    }

    /** Sends {@code rawRequest} on {@code s} and reads one response (Content-Length framed). */
    static Response exchange(Socket s, String rawRequest) throws IOException {
        s.getOutputStream().write(rawRequest.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        return read(s.getInputStream());
    }

    static Response read(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a full response; got: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        int status = Integer.parseInt(headers.substring(9, 12));
        int length = 0;
        for (String line : headers.split("\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return new Response(status, headers.toLowerCase(Locale.ROOT), new String(body, StandardCharsets.UTF_8));
    }

    static String get(String pathAndQuery) {
        return "GET " + pathAndQuery + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    /** A fresh connection, one GET; "refused" if the connection is refused. */
    static String probe(URI base, String path) {
        try (Socket s = connect(base)) {
            Response r = exchange(s, get(path));
            return Integer.toString(r.status());
        } catch (ConnectException e) {
            return "refused";
        } catch (IOException e) {
            return "error: " + e;
        }
    }
}
