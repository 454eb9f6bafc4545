package dev.quiesce.tck;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The kit's HTTP/1.1 client, on plain sockets so that it sees what a higher-level client hides: a refused
 * connect, a reset against a clean close, an empty reply, {@code Connection: close}. Requests are
 * {@code GET} on {@link #path(Route)}; responses are read by {@code Content-Length}, chunked, or to the end of
 * the connection.
 *
 * <p>Thread-safe: each connection is used by one thread at a time.
 */
public final class Http1Client implements IngressClient {
    private final InetSocketAddress address;

    /** A client of the HTTP/1.1 server at {@code address}. */
    public Http1Client(InetSocketAddress address) {
        this.address = Objects.requireNonNull(address, "address");
    }

    /** The path an HTTP adapter serves {@code route} on: {@code /tck/quick}, {@code /tck/slow}. */
    public static String path(Route route) {
        return "/tck/" + route.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Connection open() throws IOException {
        return new Http1Connection(connect(Duration.ofSeconds(30)));
    }

    @Override
    public ConnectOutcome tryConnect(Duration bound) {
        try {
            connect(bound).close();
            return ConnectOutcome.ACCEPTED;
        } catch (SocketTimeoutException e) {
            return ConnectOutcome.HUNG;
        } catch (ConnectException e) {
            return ConnectOutcome.REFUSED;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("connecting to " + address + " failed neither by a refusal nor by"
                    + " a timeout", e);
        }
    }

    @Override
    public Connection openStalled() throws IOException {
        Socket s = connect(Duration.ofSeconds(30));
        try {
            OutputStream out = s.getOutputStream();
            // half a request head: a request line and one header, without the blank line that ends the head
            out.write(("GET " + path(Route.QUICK) + " HTTP/1.1\r\nHost: tck\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return new Http1Connection(s);
    }

    private Socket connect(Duration bound) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, bound.toMillis())));
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static final class Http1Connection implements Connection {
        private final Socket socket;
        private final InputStream in;

        Http1Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
        }

        @Override
        public Reply call(Route route) throws IOException {
            try {
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path(route) + " HTTP/1.1\r\nHost: tck\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (SocketException e) {
                return Reply.without(Reply.Status.RESET); // the server had closed or reset the connection
            }
            try {
                return read();
            } catch (SocketException e) {
                return Reply.without(Reply.Status.RESET);
            } catch (EOFException e) {
                return Reply.without(Reply.Status.RESET); // cut off in the middle of the response
            }
        }

        private Reply read() throws IOException {
            String statusLine = line(true);
            if (statusLine == null) {
                return Reply.without(Reply.Status.NO_REPLY);
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + statusLine);
            }
            int code = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String h = line(false); !h.isEmpty(); h = line(false)) {
                int colon = h.indexOf(':');
                String name = h.substring(0, Math.max(0, colon)).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> close = value.contains("close");
                    default -> { }
                }
            }
            byte[] body;
            if (chunked) {
                var b = new ByteArrayOutputStream();
                for (long n = chunkSize(); n > 0; n = chunkSize()) {
                    b.write(in.readNBytes((int) n));
                    line(false);
                }
                for (String t = line(false); !t.isEmpty(); t = line(false)) {
                    // trailers: skipped
                }
                body = b.toByteArray();
            } else if (length >= 0) {
                body = in.readNBytes((int) length);
                if (body.length < length) {
                    throw new EOFException("response body cut off after " + body.length + " of " + length + " bytes");
                }
            } else {
                body = close ? in.readAllBytes() : new byte[0];
            }
            Reply.Status status = code >= 200 && code < 300 ? Reply.Status.OK
                    : code == 503 ? Reply.Status.UNAVAILABLE : Reply.Status.OTHER;
            return new Reply(status, code, close, new String(body, StandardCharsets.UTF_8));
        }

        private long chunkSize() throws IOException {
            String l = line(false);
            int semi = l.indexOf(';');
            return Long.parseLong((semi < 0 ? l : l.substring(0, semi)).trim(), 16);
        }

        /** One line without its CRLF; null at a clean end of the connection before it, if {@code first}. */
        private String line(boolean first) throws IOException {
            var b = new StringBuilder();
            for (;;) {
                int c = in.read();
                if (c < 0) {
                    if (first && b.isEmpty()) {
                        return null;
                    }
                    throw new EOFException("connection closed in the middle of a response");
                }
                if (c == '\n') {
                    int end = b.length();
                    return end > 0 && b.charAt(end - 1) == '\r' ? b.substring(0, end - 1) : b.toString();
                }
                b.append((char) c);
            }
        }

        @Override
        public Closure awaitClosed(Duration bound) {
            long deadline = System.nanoTime() + bound.toNanos();
            try {
                for (;;) {
                    long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                    if (in.read() < 0) {
                        return Closure.CLEAN;
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        return Closure.STILL_OPEN;
                    }
                }
            } catch (SocketTimeoutException e) {
                return Closure.STILL_OPEN;
            } catch (IOException e) {
                return Closure.RESET;
            } finally {
                try {
                    socket.setSoTimeout(0);
                } catch (IOException ignored) {
                    // closed: nothing more to read anyway
                }
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // the kit's side only: nothing to report
            }
        }
    }
}
