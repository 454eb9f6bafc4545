package dev.quiesce.benchmarks;

/**
 * How a task of {@link CancelToJoin} is blocked when the cancellation arrives.
 */
public enum Kind {
    /**
     * Parked in {@code CountDownLatch.await()} on a latch of its own that is never counted down. (Not one
     * shared latch: an interrupted waiter unlinks its node by walking the latch's queue, so a shared one
     * makes every cancellation quadratic in n, whatever cancels it.)
     */
    PARK,
    /** In {@code Thread.sleep(Duration.ofDays(1))}. */
    SLEEP,
    /**
     * In {@code InputStream.read()} on its own connected loopback socket whose peer never writes. A
     * virtual thread interrupted there has its socket closed and gets a {@code SocketException}.
     */
    SOCKET,
    /**
     * Running: a loop that polls the interrupt flag and calls {@code Thread.yield()}. Entered only once all
     * tasks have started (each first parks until one virtual thread unparks them all), so that every one
     * of them is in the loop when the cancellation comes.
     */
    CPU;

    /** Parses a JMH parameter value ({@code park}, {@code sleep}, {@code socket}, {@code cpu}). */
    static Kind of(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
}
