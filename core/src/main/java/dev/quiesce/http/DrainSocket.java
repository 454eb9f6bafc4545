package dev.quiesce.http;

import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /quiesce/drain} on a Unix domain socket ({@code curl --unix-socket PATH -X POST
 * http://localhost/quiesce/drain}): the JDK's {@code HttpServer} cannot bind one, so this is a tiny HTTP/1.1
 * listener of its own that reads one request head per connection, answers it and closes the connection. Only
 * processes that can open the socket file can drain the service, so no port is exposed for it. Its threads are
 * daemons.
 */
final class DrainSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    private static final int MAX_HEAD = 8192;

    private final Shutdown shutdown;
    private final Path path;
    private final ServerSocketChannel channel;

    private DrainSocket(Shutdown shutdown, Path path, ServerSocketChannel channel) {
        this.shutdown = shutdown;
        this.path = path;
        this.channel = channel;
    }

    /**
     * Binds {@code path} (a socket file left there by an earlier run is replaced) and starts accepting.
     *
     * @throws IOException if the socket cannot be bound (the directory is missing or not writable)
     */
    static DrainSocket start(Shutdown shutdown, Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind the drain socket " + path + " (" + e.getMessage() + "): use a path in a "
                    + "directory this process can write, e.g. /tmp/quiesce.sock", e);
        }
        var s = new DrainSocket(shutdown, path, ch);
        Thread.ofPlatform().daemon(true).name("quiesce-drain-socket").start(s::accept);
        LOG.info("POST /quiesce/drain also on the Unix domain socket {}", path);
        return s;
    }

    /** Accepts until the channel is closed; each connection is answered on a virtual thread of its own. */
    private void accept() {
        try {
            while (channel.isOpen()) {
                SocketChannel c = channel.accept();
                Thread.ofVirtual().name("quiesce-drain-socket-exchange").start(() -> answer(c));
            }
        } catch (ClosedChannelException closed) {
            LOG.debug("drain socket {} closed", path);
        } catch (IOException e) {
            LOG.warn("drain socket {}: accept failed; it no longer answers", path, e);
        }
    }

    private void answer(SocketChannel c) {
        try (c) {
            String head = readHead(c);
            String[] line = head.isEmpty() ? new String[0] : head.substring(0, head.indexOf('\r')).split(" ");
            ManagementServer.Answer a;
            if (line.length != 3 || !line[2].startsWith("HTTP/1.")) {
                a = new ManagementServer.Answer(400, "{\"error\":\"not an HTTP/1.1 request: use curl --unix-socket "
                        + path + " -X POST http://localhost/quiesce/drain\"}", null);
            } else if (!line[1].equals("/quiesce/drain")) {
                a = new ManagementServer.Answer(404, "{\"error\":\"this socket serves POST /quiesce/drain only\"}", null);
            } else {
                a = ManagementServer.drainAnswer(shutdown, line[0]);
            }
            byte[] body = a.json().getBytes(StandardCharsets.UTF_8);
            String response = "HTTP/1.1 " + a.status() + " " + reason(a.status()) + "\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + body.length + (a.allow() == null ? "" : "\r\nAllow: " + a.allow())
                    + "\r\nConnection: close\r\n\r\n";
            ByteBuffer out = ByteBuffer.allocate(response.length() + body.length);
            out.put(response.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException e) {
            LOG.debug("drain socket {}: the client went away: {}", path, e.toString());
        }
    }

    /** The request line and headers, up to the blank line (the body, if any, is not read). */
    private static String readHead(SocketChannel c) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
        while (in.hasRemaining()) {
            if (c.read(in) < 0) {
                break;
            }
            String sofar = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
            if (sofar.contains("\r\n\r\n")) {
                return sofar;
            }
        }
        return "";
    }

    private static String reason(int status) {
        return status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 404 ? "Not Found"
                : status == 405 ? "Method Not Allowed" : status == 503 ? "Service Unavailable" : "Internal Server Error";
    }

    /** Stops accepting and removes the socket file. */
    @Override
    public void close() {
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.debug("drain socket {}: could not remove it: {}", path, e.toString());
        }
    }
}
