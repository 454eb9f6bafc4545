package dev.quiesce.tck;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The kit's HTTP/2 client: one h2c connection by prior knowledge (RFC 9113 section 3.3) on a plain socket, so that
 * it sees what a client library hides or decides for itself: the server's GOAWAY frames with their last stream id,
 * a stream reset with its error code, and the server's answer to a new stream sent after a GOAWAY (a library
 * refuses to send it). Requests are {@code GET} with no body; a response's {@code :status} and its DATA are read.
 *
 * <p>Minimal on purpose: the client announces a header table size of 0, so that the server's HPACK encoder
 * uses no dynamic table, and reads only the first field of a response's header block ({@code :status}, which
 * comes first), in any of HPACK's representations; the other fields are skipped. Flow control: every DATA frame
 * is acknowledged at once with a WINDOW_UPDATE. SETTINGS and PING are acknowledged.
 *
 * <p>Thread-safe: requests may be sent from several threads; one virtual thread reads the frames.
 */
final class H2cConnection implements AutoCloseable {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int DATA = 0x0, HEADERS = 0x1, RST_STREAM = 0x3, SETTINGS = 0x4, PING = 0x6, GOAWAY = 0x7,
            WINDOW_UPDATE = 0x8, CONTINUATION = 0x9;
    private static final int END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PADDED = 0x8, PRIORITY = 0x20;
    /** RST_STREAM's and GOAWAY's error code REFUSED_STREAM. */
    static final int REFUSED_STREAM = 0x7;

    /** How one stream ended. */
    enum End {
        /** A complete response (END_STREAM). */
        RESPONSE,
        /** The server reset the stream (RST_STREAM); {@link Outcome#error()} has its code. */
        RESET,
        /** A GOAWAY's last stream id is below the stream's: the server did not process it. */
        NOT_PROCESSED,
        /** The connection ended before the stream did. */
        CONNECTION_CLOSED
    }

    /**
     * What a stream saw.
     *
     * @param end how it ended
     * @param status the response's {@code :status}, or -1
     * @param body the response body (UTF-8)
     * @param error the RST_STREAM's error code, or -1
     * @param afterGoAway whether a GOAWAY had arrived when the stream ended
     */
    record Outcome(End end, int status, String body, int error, boolean afterGoAway) {
        /** The outcome in the kit's neutral terms. */
        Reply reply() {
            return switch (end) {
                case RESPONSE -> new Reply(status >= 200 && status < 300 ? Reply.Status.OK
                        : status == 503 ? Reply.Status.UNAVAILABLE : Reply.Status.OTHER, status, afterGoAway, body);
                case RESET, NOT_PROCESSED -> Reply.without(Reply.Status.RESET);
                case CONNECTION_CLOSED -> Reply.without(status < 0 ? Reply.Status.NO_REPLY : Reply.Status.RESET);
            };
        }
    }

    /**
     * A GOAWAY frame the server sent.
     *
     * @param lastStreamId the last stream the server may process
     * @param error its error code (0: NO_ERROR, a graceful GOAWAY)
     */
    record GoAway(int lastStreamId, int error) {}

    private final Socket socket;
    private final String authority;
    private final ReentrantLock writing = new ReentrantLock();
    private final Map<Integer, StreamState> streams = new ConcurrentHashMap<>();
    private final CompletableFuture<GoAway> firstGoAway = new CompletableFuture<>();
    private final CompletableFuture<GoAway> finalGoAway = new CompletableFuture<>();
    private final CompletableFuture<Closure> closed = new CompletableFuture<>();
    private final List<GoAway> goAways = new CopyOnWriteArrayList<>();
    private volatile GoAway lastGoAway;
    private int nextStreamId = 1; // under writing

    private H2cConnection(Socket socket, InetSocketAddress address) {
        this.socket = socket;
        this.authority = address.getHostString() + ":" + address.getPort();
    }

    /**
     * Connects to {@code address} and sends the connection preface (with SETTINGS: header table size 0, no push).
     *
     * @throws IOException if the connection cannot be opened (e.g. {@code ConnectException} when refused)
     */
    static H2cConnection open(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, 30_000);
            var c = new H2cConnection(s, address);
            c.start();
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void start() throws IOException {
        byte[] settings = {0, 0x1, 0, 0, 0, 0, /* ENABLE_PUSH */ 0, 0x2, 0, 0, 0, 0};
        writing.lock();
        try {
            OutputStream out = socket.getOutputStream();
            out.write(PREFACE);
            frame(out, SETTINGS, 0, 0, settings);
            out.flush();
        } finally {
            writing.unlock();
        }
        Thread.ofVirtual().name("tck-h2c-reader").start(this::readFrames);
    }

    /** The first GOAWAY the server sends (never completes if the connection ends without one). */
    CompletableFuture<GoAway> goAway() {
        return firstGoAway;
    }

    /**
     * The first GOAWAY with a real last stream id (below 2^31-1, the graceful GOAWAY's): the one after which the
     * server refuses new streams (never completes if the connection ends without one).
     */
    CompletableFuture<GoAway> finalGoAway() {
        return finalGoAway;
    }

    /** Every GOAWAY the server has sent so far, in order. */
    List<GoAway> goAways() {
        return List.copyOf(goAways);
    }

    /** How the connection ended: CLEAN (FIN) or RESET; completes when it ends. */
    CompletableFuture<Closure> closed() {
        return closed;
    }

    /**
     * Sends {@code GET path} on a new stream; the future completes when the stream ends, however it ends.
     *
     * @throws IOException if the request cannot be written (the connection is closed)
     */
    CompletableFuture<Outcome> get(String path) throws IOException {
        var b = new ByteArrayOutputStream();
        b.write(0x82); // :method GET (static table 2)
        b.write(0x86); // :scheme http (static table 6)
        literal(b, 4, path); // :path, literal without indexing, name from the static table
        literal(b, 1, authority); // :authority
        byte[] block = b.toByteArray();
        writing.lock();
        try {
            int id = nextStreamId;
            nextStreamId += 2;
            var state = new StreamState(id);
            streams.put(id, state);
            GoAway g = lastGoAway;
            OutputStream out = socket.getOutputStream();
            frame(out, HEADERS, END_STREAM | END_HEADERS, id, block);
            out.flush();
            if (closed.isDone()) {
                state.end(End.CONNECTION_CLOSED, -1, g != null);
            } else if (g != null && id > g.lastStreamId()) {
                state.end(End.NOT_PROCESSED, -1, true); // the server ignores it (RFC 9113 section 6.8)
            }
            return state.outcome;
        } finally {
            writing.unlock();
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the kit's side only
        }
    }

    // ------------------------------------------------------------------ reading

    private void readFrames() {
        Closure how = Closure.CLEAN;
        try {
            var in = new DataInputStream(socket.getInputStream());
            ByteArrayOutputStream headerBlock = null;
            int headerStream = 0;
            boolean headerEndsStream = false;
            for (;;) {
                int first = in.read();
                if (first < 0) {
                    break; // the server's FIN between frames
                }
                int length = (first << 16) | in.readUnsignedShort();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int id = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (payload.length < length) {
                    break;
                }
                switch (type) {
                    case HEADERS -> {
                        int from = 0, to = payload.length;
                        if ((flags & PADDED) != 0) {
                            to -= payload[0] & 0xff;
                            from = 1;
                        }
                        if ((flags & PRIORITY) != 0) {
                            from += 5;
                        }
                        headerBlock = new ByteArrayOutputStream();
                        headerBlock.write(payload, from, to - from);
                        headerStream = id;
                        headerEndsStream = (flags & END_STREAM) != 0;
                        if ((flags & END_HEADERS) != 0) {
                            headers(headerStream, headerBlock.toByteArray(), headerEndsStream);
                            headerBlock = null;
                        }
                    }
                    case CONTINUATION -> {
                        if (headerBlock != null && id == headerStream) {
                            headerBlock.write(payload);
                            if ((flags & END_HEADERS) != 0) {
                                headers(headerStream, headerBlock.toByteArray(), headerEndsStream);
                                headerBlock = null;
                            }
                        }
                    }
                    case DATA -> {
                        data(id, flags, payload);
                    }
                    case RST_STREAM -> {
                        StreamState s = streams.get(id);
                        if (s != null) {
                            s.error = int32(payload, 0);
                            s.end(End.RESET, s.error, lastGoAway != null);
                        }
                    }
                    case SETTINGS -> {
                        if ((flags & ACK) == 0) {
                            send(SETTINGS, ACK, 0, new byte[0]);
                        }
                    }
                    case PING -> {
                        if ((flags & ACK) == 0) {
                            send(PING, ACK, 0, payload);
                        }
                    }
                    case GOAWAY -> goAway(new GoAway(int32(payload, 0) & 0x7fffffff, int32(payload, 4)));
                    default -> { } // WINDOW_UPDATE, PRIORITY, unknown: nothing to do
                }
            }
        } catch (IOException e) {
            how = Closure.RESET;
        } finally {
            closed.complete(how);
            for (StreamState s : streams.values()) {
                s.end(End.CONNECTION_CLOSED, -1, lastGoAway != null);
            }
            close();
        }
    }

    private void goAway(GoAway g) {
        goAways.add(g);
        lastGoAway = g;
        firstGoAway.complete(g);
        if (g.lastStreamId() != Integer.MAX_VALUE) {
            finalGoAway.complete(g);
        }
        for (StreamState s : streams.values()) {
            if (s.id > g.lastStreamId()) {
                s.end(End.NOT_PROCESSED, -1, true);
            }
        }
    }

    private void headers(int id, byte[] block, boolean endStream) throws IOException {
        StreamState s = streams.get(id);
        if (s == null) {
            return;
        }
        if (s.status < 0) {
            s.status = Hpack.status(block);
        }
        if (endStream) {
            s.end(End.RESPONSE, -1, lastGoAway != null);
        }
    }

    private void data(int id, int flags, byte[] payload) throws IOException {
        int from = 0, to = payload.length;
        if ((flags & PADDED) != 0 && payload.length > 0) {
            to -= payload[0] & 0xff;
            from = 1;
        }
        if (payload.length > 0) {
            byte[] increment = {(byte) (payload.length >>> 24), (byte) (payload.length >>> 16),
                    (byte) (payload.length >>> 8), (byte) payload.length};
            send(WINDOW_UPDATE, 0, 0, increment);
            send(WINDOW_UPDATE, 0, id, increment);
        }
        StreamState s = streams.get(id);
        if (s != null) {
            s.body.write(payload, from, to - from);
            if ((flags & END_STREAM) != 0) {
                s.end(End.RESPONSE, -1, lastGoAway != null);
            }
        }
    }

    private void send(int type, int flags, int id, byte[] payload) throws IOException {
        writing.lock();
        try {
            OutputStream out = socket.getOutputStream();
            frame(out, type, flags, id, payload);
            out.flush();
        } finally {
            writing.unlock();
        }
    }

    private static void frame(OutputStream out, int type, int flags, int id, byte[] payload) throws IOException {
        int n = payload.length;
        out.write(new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type, (byte) flags,
                (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
        out.write(payload);
    }

    private static int int32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** A literal header field without indexing, its name from the static table, its value not Huffman-coded. */
    private static void literal(ByteArrayOutputStream b, int nameIndex, String value) {
        b.write(nameIndex); // 0000xxxx: the index fits the 4-bit prefix (1 and 4)
        byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        Hpack.integer(b, 0, 7, v.length);
        b.write(v, 0, v.length);
    }

    /** One stream's state, written by the reader thread. */
    private static final class StreamState {
        final int id;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        volatile int status = -1;
        volatile int error = -1;

        StreamState(int id) {
            this.id = id;
        }

        void end(End end, int error, boolean afterGoAway) {
            outcome.complete(new Outcome(end, status, body.toString(StandardCharsets.UTF_8), error, afterGoAway));
        }
    }

    /** The little of HPACK (RFC 7541) the client needs: integers, and a response's {@code :status}. */
    static final class Hpack {
        /** The static table's {@code :status} entries, indexes 8 to 14. */
        private static final int[] STATUS = {200, 204, 206, 304, 400, 404, 500};

        private Hpack() {}

        static void integer(ByteArrayOutputStream b, int high, int prefixBits, int value) {
            int max = (1 << prefixBits) - 1;
            if (value < max) {
                b.write(high | value);
                return;
            }
            b.write(high | max);
            for (value -= max; value >= 128; value >>>= 7) {
                b.write((value & 0x7f) | 0x80);
            }
            b.write(value);
        }

        /** The {@code :status} of a response header block: its first field, after any table size updates. */
        static int status(byte[] block) throws IOException {
            int[] at = {0};
            while (at[0] < block.length && (block[at[0]] & 0xe0) == 0x20) {
                integer(block, at, 5); // a dynamic table size update
            }
            if (at[0] >= block.length) {
                throw new IOException("a response header block without fields");
            }
            int b = block[at[0]] & 0xff;
            int index;
            if ((b & 0x80) != 0) {
                index = integer(block, at, 7);
                if (index >= 8 && index <= 14) {
                    return STATUS[index - 8];
                }
                throw new IOException("the response's first header field is not :status (HPACK index " + index + ")");
            }
            index = integer(block, at, (b & 0x40) != 0 ? 6 : 4);
            if (index == 0) {
                String name = string(block, at);
                if (!name.equals(":status")) {
                    throw new IOException("the response's first header field is " + name + ", not :status");
                }
            } else if (index < 8 || index > 14) {
                throw new IOException("the response's first header field is not :status (HPACK index " + index + ")");
            }
            String value = string(block, at);
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IOException("not a status code: " + value, e);
            }
        }

        private static int integer(byte[] block, int[] at, int prefixBits) throws IOException {
            int max = (1 << prefixBits) - 1;
            int value = block[at[0]++] & max;
            if (value < max) {
                return value;
            }
            for (int shift = 0; ; shift += 7) {
                if (at[0] >= block.length || shift > 28) {
                    throw new IOException("a malformed HPACK integer");
                }
                int next = block[at[0]++] & 0xff;
                value += (next & 0x7f) << shift;
                if ((next & 0x80) == 0) {
                    return value;
                }
            }
        }

        /** A string literal; a Huffman-coded one may hold the digits and {@code :a-z} of a status only. */
        private static String string(byte[] block, int[] at) throws IOException {
            boolean huffman = (block[at[0]] & 0x80) != 0;
            int length = integer(block, at, 7);
            if (at[0] + length > block.length) {
                throw new IOException("an HPACK string runs past its header block");
            }
            int from = at[0];
            at[0] += length;
            if (!huffman) {
                return new String(block, from, length, StandardCharsets.US_ASCII);
            }
            return huffmanDigits(block, from, length);
        }

        /**
         * Decodes a Huffman-coded status: the ten digits have 5- and 6-bit codes (RFC 7541 appendix B); the
         * padding is the all-ones prefix of a longer code.
         */
        private static String huffmanDigits(byte[] block, int from, int length) throws IOException {
            var out = new StringBuilder();
            int total = length * 8;
            for (int bit = 0; bit < total; ) {
                int left = total - bit;
                int five = left >= 5 ? bits(block, from, bit, 5) : -1;
                if (five >= 0 && five <= 2) { // '0' 00000, '1' 00001, '2' 00010
                    out.append((char) ('0' + five));
                    bit += 5;
                    continue;
                }
                int six = left >= 6 ? bits(block, from, bit, 6) : -1;
                if (six >= 0x19 && six <= 0x1f) { // '3' 011001 .. '9' 011111
                    out.append((char) ('3' + six - 0x19));
                    bit += 6;
                    continue;
                }
                if (left < 8 && bits(block, from, bit, left) == (1 << left) - 1) {
                    break; // the padding: the all-ones prefix of the end-of-string code
                }
                throw new IOException("a Huffman-coded :status with a symbol other than a digit");
            }
            return out.toString();
        }

        /** {@code n} bits of {@code block} from bit {@code bit} of its string at {@code from}, most significant first. */
        private static int bits(byte[] block, int from, int bit, int n) {
            int v = 0;
            for (int i = bit; i < bit + n; i++) {
                v = (v << 1) | ((block[from + i / 8] >>> (7 - i % 8)) & 1);
            }
            return v;
        }
    }
}
