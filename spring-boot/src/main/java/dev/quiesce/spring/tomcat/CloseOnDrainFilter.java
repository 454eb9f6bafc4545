package dev.quiesce.spring.tomcat;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.function.BooleanSupplier;

/**
 * Puts {@code Connection: close} on a response that commits once the ingress drains, also for a request that was
 * already running when the drain began: the response is wrapped, and each write, flush or error first adds the
 * header if the drain has begun and the response is not committed yet (Tomcat reads the header when it commits,
 * and then ends the connection after the response). A request that the ingress cancelled ({@code forceClose()}
 * interrupted its thread) and that ends in an exception before its response is committed is answered 503.
 */
final class CloseOnDrainFilter implements Filter {
    private final BooleanSupplier draining;
    private final BooleanSupplier forced;

    CloseOnDrainFilter(BooleanSupplier draining, BooleanSupplier forced) {
        this.draining = draining;
        this.forced = forced;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(response instanceof HttpServletResponse http) || response instanceof DrainingResponse) {
            chain.doFilter(request, response);
            return;
        }
        try {
            chain.doFilter(request, new DrainingResponse(http, draining));
        } catch (ServletException | IOException | RuntimeException e) {
            if (!forced.getAsBoolean() || http.isCommitted()) {
                throw e;
            }
            // cancelled by forceClose (the handler was interrupted): 503, as every Quiesce adapter answers it
            http.reset();
            http.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
            http.setHeader("Connection", "close");
            http.setContentType("text/plain;charset=UTF-8");
            http.getWriter().write("503 Service Unavailable: the service is shutting down\n");
        }
    }

    private static final class DrainingResponse extends HttpServletResponseWrapper {
        private final BooleanSupplier draining;
        private ServletOutputStream out;
        private PrintWriter writer;

        DrainingResponse(HttpServletResponse response, BooleanSupplier draining) {
            super(response);
            this.draining = draining;
        }

        void mark() {
            if (draining.getAsBoolean() && !isCommitted()) {
                setHeader("Connection", "close");
            }
        }

        @Override
        public void flushBuffer() throws IOException {
            mark();
            super.flushBuffer();
        }

        @Override
        public void sendError(int sc, String msg) throws IOException {
            mark();
            super.sendError(sc, msg);
        }

        @Override
        public void sendError(int sc) throws IOException {
            mark();
            super.sendError(sc);
        }

        @Override
        public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
            mark();
            super.sendRedirect(location, sc, clearBuffer);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (out == null) {
                out = new MarkingStream(super.getOutputStream(), this);
            }
            return out;
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (writer == null) {
                writer = new PrintWriter(new MarkingWriter(super.getWriter(), this));
            }
            return writer;
        }
    }

    private static final class MarkingStream extends ServletOutputStream {
        private final ServletOutputStream delegate;
        private final DrainingResponse response;

        MarkingStream(ServletOutputStream delegate, DrainingResponse response) {
            this.delegate = delegate;
            this.response = response;
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            delegate.setWriteListener(listener);
        }

        @Override
        public void write(int b) throws IOException {
            response.mark();
            delegate.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            response.mark();
            delegate.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            response.mark();
            delegate.flush();
        }

        @Override
        public void close() throws IOException {
            response.mark();
            delegate.close();
        }
    }

    private static final class MarkingWriter extends Writer {
        private final PrintWriter delegate;
        private final DrainingResponse response;

        MarkingWriter(PrintWriter delegate, DrainingResponse response) {
            this.delegate = delegate;
            this.response = response;
        }

        @Override
        public void write(char[] buf, int off, int len) {
            response.mark();
            delegate.write(buf, off, len);
        }

        @Override
        public void flush() {
            response.mark();
            delegate.flush();
        }

        @Override
        public void close() {
            response.mark();
            delegate.close();
        }
    }
}
