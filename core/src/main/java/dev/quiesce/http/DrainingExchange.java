package dev.quiesce.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/**
 * The exchange a handler sees: adds {@code Connection: close} to its response if the server drains by then;
 * answers HEAD as the JDK's server requires (the handler's headers and status, its body dropped); and notes
 * when the client's side fails (reset, broken pipe), so that the failure is not taken for a server bug.
 */
final class DrainingExchange extends HttpExchange {
    private final HttpExchange delegate;
    private final DrainingHttpServer server;
    private final boolean head;
    private InputStream requestBody;
    private OutputStream responseBody;
    private volatile boolean clientFailed;
    /** The body length announced in sendResponseHeaders (0 with no body), or -1: chunked, or not yet sent. */
    private volatile long announcedLength = -1;

    DrainingExchange(HttpExchange delegate, DrainingHttpServer server) {
        this.delegate = delegate;
        this.server = server;
        this.head = "HEAD".equalsIgnoreCase(delegate.getRequestMethod());
        this.requestBody = new ClientInput(delegate.getRequestBody(), this);
        this.responseBody = head ? new HeadOutput(delegate.getResponseBody())
                : new ClientOutput(delegate.getResponseBody(), this);
    }

    void limitRequestBody(long max) {
        requestBody = new LimitedInputStream(requestBody, max);
    }

    /** Whether reading the request or writing the response failed on the connection (the client's side). */
    boolean clientFailed() {
        return clientFailed;
    }

    void markClientFailed() {
        clientFailed = true;
    }

    /** An I/O step on the client's connection: its failure is the client's. */
    interface ClientCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code c}; if it fails, the failure is marked as the client's and rethrown. */
    <T> T onClient(ClientCall<T> c) throws IOException {
        try {
            return c.call();
        } catch (IOException e) {
            clientFailed = true;
            throw e;
        }
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
        if (server.draining()) {
            delegate.getResponseHeaders().set("Connection", "close");
        }
        if (delegate.getResponseCode() != -1) { // the handler's mistake, which the JDK reports as an IOException
            throw new IOException("the handler sent the response headers twice");
        }
        long length = Responses.bodyLength(delegate, rCode, responseLength);
        announcedLength = length == -1 ? 0 : length == 0 ? -1 : length;
        try {
            delegate.sendResponseHeaders(rCode, length);
        } catch (IOException e) {
            clientFailed = true;
            throw e;
        }
    }

    // what the handler reads is the JDK's exchange's, apart from the two streams
    @Override public com.sun.net.httpserver.Headers getRequestHeaders() { return delegate.getRequestHeaders(); }
    @Override public com.sun.net.httpserver.Headers getResponseHeaders() { return delegate.getResponseHeaders(); }
    @Override public java.net.URI getRequestURI() { return delegate.getRequestURI(); }
    @Override public String getRequestMethod() { return delegate.getRequestMethod(); }
    @Override public com.sun.net.httpserver.HttpContext getHttpContext() { return delegate.getHttpContext(); }
    @Override public InputStream getRequestBody() { return requestBody; }
    @Override public OutputStream getResponseBody() { return responseBody; }
    @Override public InetSocketAddress getRemoteAddress() { return delegate.getRemoteAddress(); }
    @Override public int getResponseCode() { return delegate.getResponseCode(); }
    @Override public InetSocketAddress getLocalAddress() { return delegate.getLocalAddress(); }
    @Override public String getProtocol() { return delegate.getProtocol(); }
    @Override public com.sun.net.httpserver.HttpPrincipal getPrincipal() { return delegate.getPrincipal(); }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public Object getAttribute(String name) {
        return delegate.getAttribute(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        delegate.setAttribute(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        if (i != null) {
            requestBody = i;
        }
        if (o != null) {
            responseBody = o;
        }
    }

    // ------------------------------------------------------------------ streams

    /** A request body whose read failures are the client's (a reset, a truncated chunked body). */
    private static final class ClientInput extends java.io.FilterInputStream {
        private final DrainingExchange exchange;

        ClientInput(InputStream in, DrainingExchange exchange) {
            super(in);
            this.exchange = exchange;
        }

        @Override
        public int read() throws IOException {
            return exchange.onClient(super::read);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return exchange.onClient(() -> super.read(b, off, len));
        }

        @Override
        public void close() throws IOException {
            exchange.onClient(() -> {
                super.close();
                return null;
            });
        }
    }

    /**
     * A response body whose write failures are the client's (broken pipe, reset). What the JDK also reports as
     * an IOException but is the handler's mistake (a write before the headers, more bytes than it announced,
     * fewer at close) is checked here first, and left a server bug.
     */
    private static final class ClientOutput extends java.io.FilterOutputStream {
        private final DrainingExchange exchange;

        ClientOutput(OutputStream out, DrainingExchange exchange) {
            super(out);
            this.exchange = exchange;
        }

        /** Bytes of the body written so far. */
        private long written;

        private void check(long more) throws IOException {
            if (exchange.getResponseCode() == -1) {
                throw new IOException("the handler wrote the response body before sendResponseHeaders");
            }
            long announced = exchange.announcedLength;
            if (announced >= 0 && written + more > announced) {
                throw new IOException("the handler wrote more than the " + announced + " bytes it announced");
            }
            written += more;
        }

        @Override
        public void write(int b) throws IOException {
            check(1);
            exchange.onClient(() -> {
                out.write(b);
                return null;
            });
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check(len);
            exchange.onClient(() -> {
                out.write(b, off, len);
                return null;
            });
        }

        @Override
        public void flush() throws IOException {
            exchange.onClient(() -> {
                out.flush();
                return null;
            });
        }

        @Override
        public void close() throws IOException {
            long announced = exchange.announcedLength;
            boolean complete = exchange.getResponseCode() == -1 || announced < 0 || written >= announced;
            try {
                out.close();
            } catch (IOException e) {
                if (complete) {
                    exchange.markClientFailed();
                }
                throw e;
            }
        }
    }

    /** The response body of a HEAD request: the handler writes what it would send to a GET; nothing is sent. */
    private static final class HeadOutput extends OutputStream {
        private final OutputStream response;

        HeadOutput(OutputStream response) {
            this.response = response;
        }

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}

        @Override
        public void close() throws IOException {
            response.close();
        }
    }

    // ------------------------------------------------------------------ request body limit

    /** Thrown by a request body stream that exceeds the limit. */
    static final class BodyTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLargeException(long limit) {
            super("request body larger than " + limit + " bytes");
        }
    }

    private static final class LimitedInputStream extends java.io.FilterInputStream {
        private final long limit;
        private long read;

        LimitedInputStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && ++read > limit) {
                throw new BodyTooLargeException(limit);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && (read += n) > limit) {
                throw new BodyTooLargeException(limit);
            }
            return n;
        }
    }
}
