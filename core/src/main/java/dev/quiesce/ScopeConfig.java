package dev.quiesce;

import dev.quiesce.internal.ScopedValues;
import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;

/**
 * The immutable configuration of a {@link Scope}: its name, deadline, thread factory, close
 * timeout and the context its forks carry ({@link ContextPropagator}s, {@code ScopedValue} keys). Obtained inside {@link Scope#open(Joiner, java.util.function.UnaryOperator)} and refined
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

    private static final ScopeConfig DEFAULTS = new ScopeConfig(null, null, null, null, DEFAULT_CLOSE_TIMEOUT,
            List.of(), List.of(), List.of());

    private final String name;
    private final Duration timeout;
    private final Instant deadline;
    private final ThreadFactory threadFactory;
    private final Duration closeTimeout;
    private final List<ContextPropagator> propagatorsAdded;
    private final List<ContextPropagator> propagatorsRemoved;
    private final List<Object> scopedValues;

    private ScopeConfig(
            String name, Duration timeout, Instant deadline, ThreadFactory threadFactory, Duration closeTimeout,
            List<ContextPropagator> propagatorsAdded, List<ContextPropagator> propagatorsRemoved,
            List<Object> scopedValues) {
        this.name = name;
        this.timeout = timeout;
        this.deadline = deadline;
        this.threadFactory = threadFactory;
        this.closeTimeout = closeTimeout;
        this.propagatorsAdded = propagatorsAdded;
        this.propagatorsRemoved = propagatorsRemoved;
        this.scopedValues = scopedValues;
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
        return with(name, timeout, deadline, threadFactory, closeTimeout);
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
        return with(name, timeout, null, threadFactory, closeTimeout);
    }

    /**
     * Cancels the scope with {@link CancelReason.Deadline} at {@code deadline} (wall clock). Replaces any
     * timeout set before. A deadline already in the past cancels the scope as soon as it opens; any
     * instant is accepted, {@link Instant#MAX} included (it saturates instead of overflowing).
     */
    public ScopeConfig withDeadline(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline must not be null; omit withDeadline for no deadline");
        return with(name, null, deadline, threadFactory, closeTimeout);
    }

    /**
     * Creates subtask threads with {@code factory} instead of unnamed-pool virtual threads. Threads from
     * a custom factory keep the names the factory gives them. The factory must return a new, unstarted
     * thread for every call.
     */
    public ScopeConfig withThreadFactory(ThreadFactory factory) {
        Objects.requireNonNull(factory, "thread factory must not be null; omit withThreadFactory for virtual threads");
        return with(name, timeout, deadline, factory, closeTimeout);
    }

    /**
     * Bounds how long {@link Scope#close()} (and {@code join()} after a cancellation) waits for subtask
     * threads that were interrupted. Threads still running at the bound are reported as
     * {@linkplain Scope#stragglers() stragglers}, logged with their stacks, and abandoned.
     */
    public ScopeConfig withCloseTimeout(Duration closeTimeout) {
        requirePositive(closeTimeout, "close timeout");
        return with(name, timeout, deadline, threadFactory, closeTimeout);
    }

    /**
     * Adds {@code propagator} to the {@linkplain ContextPropagator context propagators} of the scope: those it
     * inherits (its parent scope's, or {@link ContextPropagator#mdc()} for a root scope) plus this one, which
     * then runs after them on every fork of this scope and of the scopes opened inside it. Adding one the scope
     * already has changes nothing.
     */
    public ScopeConfig withPropagator(ContextPropagator propagator) {
        Objects.requireNonNull(propagator,
                "propagator must not be null; pass a ContextPropagator, such as ContextPropagator.mdc()");
        List<ContextPropagator> removed = new ArrayList<>(propagatorsRemoved);
        removed.remove(propagator);
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout,
                adding(propagatorsAdded, propagator), List.copyOf(removed), scopedValues);
    }

    /**
     * Removes {@code propagator} (compared with {@code equals}) from the context propagators the scope would
     * have, inherited or added; the scopes opened inside it inherit the set without it.
     * {@code withoutPropagator(ContextPropagator.mdc())} turns off the default MDC propagation.
     */
    public ScopeConfig withoutPropagator(ContextPropagator propagator) {
        Objects.requireNonNull(propagator, "propagator must not be null; pass the ContextPropagator to remove");
        List<ContextPropagator> added = new ArrayList<>(propagatorsAdded);
        added.remove(propagator);
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout, List.copyOf(added),
                adding(propagatorsRemoved, propagator), scopedValues);
    }

    /**
     * Re-binds the named {@code java.lang.ScopedValue}s in each fork: a key bound on the forking thread is
     * bound to the same value around the subtask's task, in this scope and in the scopes opened inside it
     * (which inherit the keys). Bindings of keys not named here are <em>not</em> inherited, unlike in the
     * JDK's {@code StructuredTaskScope}; a named key that is not bound at a fork stays unbound in that subtask.
     *
     * <p>The parameter type is {@code Object} because core is compiled for Java 21, where {@code ScopedValue}
     * is a preview API: pass {@code ScopedValue} instances.
     *
     * @param keys the {@code ScopedValue} instances to re-bind
     * @throws UnsupportedOperationException on a Java runtime older than 25, where {@code ScopedValue} is not final
     * @throws IllegalArgumentException if a key is not a {@code ScopedValue}
     */
    public ScopeConfig withScopedValues(Object... keys) {
        List<Object> ks = new ArrayList<>(scopedValues);
        for (Object k : ScopedValues.checkKeys(keys)) {
            if (!ks.contains(k)) {
                ks.add(k);
            }
        }
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout, propagatorsAdded,
                propagatorsRemoved, List.copyOf(ks));
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

    /** The propagators {@link #withPropagator} added to the inherited ones, in order. */
    public List<ContextPropagator> propagatorsAdded() {
        return propagatorsAdded;
    }

    /** The propagators {@link #withoutPropagator} removed from the inherited ones. */
    public List<ContextPropagator> propagatorsRemoved() {
        return propagatorsRemoved;
    }

    /** The {@code ScopedValue} keys {@link #withScopedValues} named, in order. */
    public List<Object> scopedValues() {
        return scopedValues;
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
                && closeTimeout.equals(c.closeTimeout)
                && propagatorsAdded.equals(c.propagatorsAdded)
                && propagatorsRemoved.equals(c.propagatorsRemoved)
                && scopedValues.equals(c.scopedValues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, timeout, deadline, threadFactory, closeTimeout, propagatorsAdded,
                propagatorsRemoved, scopedValues);
    }

    @Override
    public String toString() {
        return "ScopeConfig[name=" + name + ", timeout=" + timeout + ", deadline=" + deadline
                + ", threadFactory=" + threadFactory + ", closeTimeout=" + closeTimeout
                + (propagatorsAdded.isEmpty() ? "" : ", propagatorsAdded=" + propagatorsAdded)
                + (propagatorsRemoved.isEmpty() ? "" : ", propagatorsRemoved=" + propagatorsRemoved)
                + (scopedValues.isEmpty() ? "" : ", scopedValues=" + scopedValues) + "]";
    }

    private ScopeConfig with(
            String name, Duration timeout, Instant deadline, ThreadFactory threadFactory, Duration closeTimeout) {
        return new ScopeConfig(name, timeout, deadline, threadFactory, closeTimeout, propagatorsAdded,
                propagatorsRemoved, scopedValues);
    }

    private static List<ContextPropagator> adding(List<ContextPropagator> list, ContextPropagator p) {
        if (list.contains(p)) {
            return list;
        }
        List<ContextPropagator> out = new ArrayList<>(list);
        out.add(p);
        return List.copyOf(out);
    }

    static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + Timers.describe(d)
                    + "; pass e.g. Duration.ofSeconds(5)");
        }
    }
}
