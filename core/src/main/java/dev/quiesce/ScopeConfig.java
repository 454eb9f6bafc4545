package dev.quiesce;

import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;

/**
 * The immutable configuration of a {@link Scope}: its name, deadline, thread factory and close
 * timeout. Obtained inside {@link Scope#open(Joiner, java.util.function.UnaryOperator)} and refined
 * with withers, each of which returns a new configuration:
 *
 * {@snippet class=dev.quiesce.snippets.ScopeSnippets region=scope-config}
 *
 * <p>Instances are immutable and thread-safe. Every wither rejects {@code null}, zero and negative
 * values with an exception that says what to pass instead.
 */
public final class ScopeConfig {

    /** How long {@link Scope#close()} waits for subtask threads after cancelling them, unless configured. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final ScopeConfig DEFAULTS = new ScopeConfig(null, null, null, null, DEFAULT_CLOSE_TIMEOUT);

    private final String name;
    private final Duration timeout;
    private final Instant deadline;
    private final ThreadFactory threadFactory;
    private final Duration closeTimeout;

    private ScopeConfig(
            String name, Duration timeout, Instant deadline, ThreadFactory threadFactory, Duration closeTimeout) {
        this.name = name;
        this.timeout = timeout;
        this.deadline = deadline;
        this.threadFactory = threadFactory;
        this.closeTimeout = closeTimeout;
    }

    /** The default configuration: generated name, no deadline, virtual threads, 30 s close timeout. */
    public static ScopeConfig defaults() {
        return DEFAULTS;
    }

    /**
     * Names the scope. The name becomes the last segment of the scope's path ({@code /shutdown/http})
     * and so of its threads' names; it must not be blank and must not contain {@code '/'}.
     */
    public ScopeConfig withName(String name) {
        Objects.requireNonNull(name, "name must not be null; pass a short identifier such as \"http\"");
        if (name.isBlank() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException(
                    "scope name '" + name + "' must be non-blank and must not contain '/'; pass a single path segment");
        }
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout);
    }

    /**
     * Cancels the scope with {@link CancelReason.Deadline} once {@code timeout} has elapsed after it was
     * opened. Replaces any deadline set before. The effective deadline is the earlier of this one and
     * the parent's effective deadline. Any positive duration is accepted: one too long to pass while the
     * JVM runs (such as {@code Duration.ofSeconds(Long.MAX_VALUE)}, what {@link Scope#remaining()} returns
     * for a scope without a deadline) saturates instead of overflowing.
     */
    public ScopeConfig withTimeout(Duration timeout) {
        requirePositive(timeout, "timeout");
        return new ScopeConfig(name, timeout, null, threadFactory, closeTimeout);
    }

    /**
     * Cancels the scope with {@link CancelReason.Deadline} at {@code deadline} (wall clock). Replaces any
     * timeout set before. A deadline already in the past cancels the scope as soon as it opens; any
     * instant is accepted, {@link Instant#MAX} included (it saturates instead of overflowing).
     */
    public ScopeConfig withDeadline(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline must not be null; omit withDeadline for no deadline");
        return new ScopeConfig(name, null, deadline, threadFactory, closeTimeout);
    }

    /**
     * Creates subtask threads with {@code factory} instead of unnamed-pool virtual threads. Threads from
     * a custom factory keep the names the factory gives them. The factory must return a new, unstarted
     * thread for every call.
     */
    public ScopeConfig withThreadFactory(ThreadFactory factory) {
        Objects.requireNonNull(factory, "thread factory must not be null; omit withThreadFactory for virtual threads");
        return new ScopeConfig(name, timeout, deadline, factory, closeTimeout);
    }

    /**
     * Bounds how long {@link Scope#close()} (and {@code join()} after a cancellation) waits for subtask
     * threads that were interrupted. Threads still running at the bound are reported as
     * {@linkplain Scope#stragglers() stragglers}, logged with their stacks, and abandoned.
     */
    public ScopeConfig withCloseTimeout(Duration closeTimeout) {
        requirePositive(closeTimeout, "close timeout");
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout);
    }

    /** The configured name, if any. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /** The configured timeout, if any (relative to the moment the scope opens). */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /** The configured absolute deadline, if any. */
    public Optional<Instant> deadline() {
        return Optional.ofNullable(deadline);
    }

    /** The configured thread factory, if any; empty means virtual threads named by scope path. */
    public Optional<ThreadFactory> threadFactory() {
        return Optional.ofNullable(threadFactory);
    }

    /** The close timeout. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /**
     * Two configurations are equal when they have the same name, timeout, deadline, close timeout and the
     * same thread factory instance (factories are compared by identity unless they define equality).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ScopeConfig c
                && Objects.equals(name, c.name)
                && Objects.equals(timeout, c.timeout)
                && Objects.equals(deadline, c.deadline)
                && Objects.equals(threadFactory, c.threadFactory)
                && closeTimeout.equals(c.closeTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, timeout, deadline, threadFactory, closeTimeout);
    }

    @Override
    public String toString() {
        return "ScopeConfig[name=" + name + ", timeout=" + timeout + ", deadline=" + deadline
                + ", threadFactory=" + threadFactory + ", closeTimeout=" + closeTimeout + "]";
    }

    static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + Timers.describe(d)
                    + "; pass e.g. Duration.ofSeconds(5)");
        }
    }
}
