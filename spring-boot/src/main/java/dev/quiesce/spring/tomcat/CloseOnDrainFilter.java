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
import java.util.function.BooleanSupplier;

/**
 * Puts {@code Connection: close} on a response that commits once the ingress drains, also for a request that was
 * already running when the drain began: the response is wrapped, and each write, flush or error first adds the
 * header if the drain has begun and the response is not committed yet (Tomcat reads the header when it commits,
 * and then ends the connection after the response). A request that the ingress cancelled ({@code forceClose()}
 * interrupted its thread) and that ends in an exception before its response is committed is answered 503, also when
 * the handler restored the thread's interrupt status (the filter clears it before it writes).
 *
 * <p>Servlet API only: the Jetty configuration ({@code dev.quiesce.spring.jetty}) puts it first in the chain too, for
 * the 503 of a cancelled request (quiesce-jetty's adapter says {@code Connection: close} itself).
 */
public final class CloseOnDrainFilter implements Filter {
    private final BooleanSupplier draining;
    private final BooleanSupplier forced;

    /**
     * A filter driven by the ingress's state.
     *
     * @param draining whether a response committed now must say {@code Connection: close}
     * @param forced whether the request that failed was cancelled (read in the request's thread, after its failure)
     */
    public CloseOnDrainFilter(BooleanSupplier draining, BooleanSupplier forced) {
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
            // cancelled by forceClose (the handler was interrupted): 503, as every Quiesce adapter answers it. A handler
            // that restored the interrupt status (as it should) would have the socket write of the 503 close the
            // connection instead (an interrupted thread's channel I/O closes the channel): the request is over, clear it
            Thread.interrupted();
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
                ServletOutputStream inner = super.getOutputStream();
                out = new ServletOutputStream() { // marks before every write, flush and close
                    @Override public boolean isReady() { return inner.isReady(); }
                    @Override public void setWriteListener(WriteListener listener) { inner.setWriteListener(listener); }
                    @Override public void write(int b) throws IOException { mark(); inner.write(b); }
                    @Override public void write(byte[] b, int off, int len) throws IOException {
                        mark();
                        inner.write(b, off, len);
                    }
                    @Override public void flush() throws IOException { mark(); inner.flush(); }
                    @Override public void close() throws IOException { mark(); inner.close(); }
                };
            }
            return out;
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            if (writer == null) {
                writer = new PrintWriter(super.getWriter()) { // every print ends in one of these
                    @Override public void write(char[] buf, int off, int len) { mark(); super.write(buf, off, len); }
                    @Override public void write(String str, int off, int len) { mark(); super.write(str, off, len); }
                    @Override public void write(int c) { mark(); super.write(c); }
                    @Override public void flush() { mark(); super.flush(); }
                };
            }
            return writer;
        }
    }
}
