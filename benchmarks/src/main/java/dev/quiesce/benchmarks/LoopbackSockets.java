package dev.quiesce.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N connected pairs of loopback TCP sockets: a {@link ServerSocket} on 127.0.0.1 accepts them, the
 * accepted ends stay open and never write, so a read on a client end blocks until it is interrupted (a
 * virtual thread interrupted in a socket read has its socket closed by the JDK) or closed.
 * <p>Every pair costs two file descriptors in this process; {@link #check} refuses an N the descriptor
 * limit cannot hold. Both ends use {@code SO_LINGER 0}, so closing them sends a reset and leaves no
 * {@code TIME_WAIT} entries behind: the benchmark makes fresh sockets for every invocation.
 */
final class LoopbackSockets implements AutoCloseable {

    /** Descriptors kept free for the JVM itself (jars, the server socket, JMH's own pipes). */
    private static final long RESERVED_FDS = 512;

    private final ServerSocket server;
    private final List<Socket> clients;
    private final List<Socket> accepted;
    private final AtomicInteger next = new AtomicInteger();

    LoopbackSockets(int n) throws IOException {
        check(n);
        server = new ServerSocket(0, 4096, InetAddress.getLoopbackAddress());
        clients = new ArrayList<>(n);
        accepted = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                c.setSoLinger(true, 0);
                clients.add(c);
                Socket a = server.accept();
                a.setSoLinger(true, 0);
                accepted.add(a);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The descriptor limit of this process, or -1 if unknown. */
    static long fdLimit() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            return os.getMaxFileDescriptorCount();
        }
        return -1;
    }

    /** Throws if {@code n} socket pairs (2 n descriptors) would not fit under the descriptor limit. */
    static void check(int n) {
        long limit = fdLimit();
        if (limit >= 0 && 2L * n + RESERVED_FDS > limit) {
            throw new IllegalArgumentException("kind=socket with n=" + n + " needs " + (2L * n)
                    + " file descriptors (a client and an accepted end per task) plus " + RESERVED_FDS
                    + " for the JVM, over this process's limit of " + limit
                    + " (ulimit -n): raise the limit or use a smaller n");
        }
    }

    /** The client end for the next task; each call returns a different socket. */
    Socket next() {
        return clients.get(next.getAndIncrement());
    }

    @Override
    public void close() {
        for (Socket s : clients) {
            closeQuietly(s);
        }
        for (Socket s : accepted) {
            closeQuietly(s);
        }
        closeQuietly(server);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing a socket the JDK already closed on interrupt, or one reset by its peer
        }
    }
}
