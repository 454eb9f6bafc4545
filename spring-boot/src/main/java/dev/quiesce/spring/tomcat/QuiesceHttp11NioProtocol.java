package dev.quiesce.spring.tomcat;

import java.io.IOException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.NioEndpoint;

/**
 * Tomcat's NIO HTTP/1.1 protocol whose listener {@link TomcatIngress#stopAccepting()} can close while the acceptor
 * is still accepting. The starter makes it the web server's protocol when the application keeps Tomcat's default
 * ({@code Http11NioProtocol}); it behaves the same until the listener closes.
 *
 * <p>Why: Tomcat's own {@code closeServerSocketGraceful()} first stops its acceptor (which then closes, unread,
 * the one connection it takes from the kernel's queue to wake up), waits for it, and only then closes the listening
 * socket: every connection the kernel completed in that window is reset by the close. Here the socket is closed
 * first, with the acceptor running, so every connection the kernel completed before the close is accepted and
 * served; the acceptor, woken by the close, then waits without logging an error until the connector stops.
 */
public final class QuiesceHttp11NioProtocol extends Http11NioProtocol {

    /** Made by Tomcat from the class name the starter sets on the web server factory. */
    public QuiesceHttp11NioProtocol() {
        super(new ClosingEndpoint());
    }

    /**
     * Closes the listening socket now; connections already accepted are served, a new one is refused.
     *
     * @return false if there was no listening socket to close (not started, or already closed by Tomcat)
     * @throws IOException if the socket could not be closed
     * @throws InterruptedException if interrupted while waiting for the acceptor to leave its {@code accept()} call
     *     (the socket is closed, or closes when it leaves)
     */
    boolean closeListener() throws IOException, InterruptedException {
        return ((ClosingEndpoint) getEndpoint()).closeListener();
    }

    /** The endpoint: Tomcat's, plus {@link #closeListener()}. */
    static final class ClosingEndpoint extends NioEndpoint {
        private volatile boolean listenerClosed;
        /** The longest closeListener() waits for the acceptor to leave accept(): within the phase's 1 s budget. */
        private static final long ACCEPTOR_LEFT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
        private volatile CountDownLatch acceptorRelease = new CountDownLatch(0);
        private volatile CountDownLatch acceptorLeft = new CountDownLatch(0);

        boolean closeListener() throws IOException, InterruptedException {
            NetworkChannel channel = getServerSocket();
            if (channel == null || !channel.isOpen() || !isRunning()) {
                return false;
            }
            acceptorRelease = new CountDownLatch(1);
            CountDownLatch left = new CountDownLatch(1);
            acceptorLeft = left;
            listenerClosed = true; // before the close: the acceptor's failed accept is this close, not an error
            channel.close(); // wakes the acceptor blocked in accept(); every connection it took before is served
            // The kernel closes the socket only when the acceptor's accept() call has returned: until then the
            // call holds it, and the kernel still completes connections, which the close would then reset (or the
            // call even returns one, which is served). Woken by the close, it returns at once, unless the machine
            // is busy (measured: up to 20 ms on a loaded machine, new connections accepted meanwhile). Not woken
            // in time: it was not in accept() (e.g. it waits for a free connection slot), and the close was at once.
            left.await(ACCEPTOR_LEFT_NANOS, TimeUnit.NANOSECONDS);
            return true;
        }

        @Override
        protected SocketChannel serverSocketAccept() throws Exception {
            if (!listenerClosed) {
                try {
                    return super.serverSocketAccept();
                } catch (IOException e) {
                    if (!listenerClosed) {
                        throw e;
                    }
                }
            }
            // The listener is closed by closeListener(): wait until the endpoint pauses or stops (unlockAccept()),
            // then hand the acceptor a closed channel, which it discards (paused or stopped) without a log line. Throwing instead
            // would make it log an error, and retry, every 50 ms to 1.6 s until the connector stops.
            acceptorLeft.countDown(); // out of accept(): the kernel has closed the socket
            try {
                acceptorRelease.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            SocketChannel discarded = SocketChannel.open();
            discarded.close();
            return discarded;
        }

        @Override
        protected void unlockAccept() {
            if (listenerClosed) {
                // Tomcat's pause() and closeServerSocketGraceful() call this once they have set the acceptor to
                // stop; Tomcat's would connect to the listener to wake it, and warn that it cannot (it is closed)
                acceptorRelease.countDown();
                return;
            }
            super.unlockAccept();
        }

        @Override
        protected void doCloseServerSocket() throws IOException {
            try {
                super.doCloseServerSocket();
            } finally {
                acceptorRelease.countDown();
            }
        }

        @Override
        public void bind() throws Exception {
            listenerClosed = false;
            super.bind();
        }
    }
}
