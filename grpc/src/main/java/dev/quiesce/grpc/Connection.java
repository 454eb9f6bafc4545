package dev.quiesce.grpc;

import io.grpc.Attributes;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One client connection (a grpc-java server transport), as the adapter follows it to say goodbye without a race:
 * its calls not answered yet, when the last one was answered, and whether a response on it has told the client to
 * leave (the
 * trailer {@code quiesce-going-away}).
 *
 * <p>Why: HTTP/2's GOAWAY is per connection and asynchronous. A client that has its reply and sends its next call
 * just after it has read a GOAWAY sends that call on a new connection, which the closed listener refuses: the
 * call is lost for this replica although the server never saw it. So before the GOAWAY the adapter waits, briefly,
 * until every connection either has a call in flight or has told its client to leave (whose responses from then
 * on carry the trailer, as HTTP/1.1's {@code Connection: close} does), or has been idle a while. A connection
 * opened once the server was leaving is not waited for: clients told to leave reconnect at once, so there is
 * always a new one, and its client sends its first call as soon as it is open (before it can read a GOAWAY).
 *
 * <p>Thread-safe.
 */
final class Connection {
    /** The key of a transport's {@link Connection} in its (and its calls') attributes. */
    static final Attributes.Key<Connection> KEY = Attributes.Key.create("quiesce-connection");

    private final AtomicInteger calls = new AtomicInteger();
    /** Opened once the server was leaving: not waited for (under churn there is always a new one). */
    private final boolean late;
    private volatile long lastEndNanos = System.nanoTime();
    private volatile boolean toldToLeave;

    Connection(boolean late) {
        this.late = late;
    }

    /** A call on this connection reached the interceptor. */
    void callStarted() {
        calls.incrementAndGet();
    }

    /** A call on this connection is answered ({@code goodbye}: with the trailer), or ended without an answer. */
    void callAnswered(boolean goodbye) {
        if (goodbye) {
            toldToLeave = true;
        }
        lastEndNanos = System.nanoTime();
        calls.decrementAndGet(); // last: a call counted out has set the rest
    }

    /** Whether a GOAWAY now cannot race with this client's next call (see the class comment). */
    boolean readyForGoAway(long now, long idleNanos) {
        return late || toldToLeave || calls.get() > 0 || now - lastEndNanos >= idleNanos;
    }
}
