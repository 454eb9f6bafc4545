package dev.quiesce.internal;

import dev.quiesce.CancelReason;
import dev.quiesce.ScopeConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;

/**
 * The effective deadline of a scope, and the engine's deadline arithmetic: a scope's own deadline from its
 * timeout or instant, the earlier of that and its parent's (DESIGN.md, scope engine point 6), what remains,
 * the timer that expires it, and the owner's timed park. Every time read of the engine's deadlines is here,
 * each in one place: {@link Clocks#nanoTime()}, {@link Clocks#instant()}, {@link Clocks#schedule} and
 * {@link Clocks#parkNanos(Object, long)}.
 *
 * <p>Immutable. Scopes without a deadline share {@link #NONE}, and a scope that inherits its parent's deadline
 * shares the parent's object, so only a scope whose own deadline wins allocates one. Deadlines are in
 * {@link Clocks#nanoTime()} terms, compared as {@code deadline - now} so that they never overflow; every
 * delay is clamped to {@link Timers#MAX_DELAY_NANOS} (about 146 years).
 */
final class Deadline {

    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final Duration UNBOUNDED = Duration.ofSeconds(Long.MAX_VALUE);

    /** No deadline: {@link #nanos} is {@link Long#MAX_VALUE}. */
    static final Deadline NONE = new Deadline(NO_DEADLINE, null, null);

    /** In {@link Clocks#nanoTime()} terms; {@link Long#MAX_VALUE} for none. */
    final long nanos;
    /** The same instant, for display; {@code null} for none. */
    final Instant instant;
    /** The scope whose own deadline this is, the one its expiry cancels; {@code null} for none. */
    final ScopeImpl<?, ?> owner;

    private Deadline(long nanos, Instant instant, ScopeImpl<?, ?> owner) {
        this.nanos = nanos;
        this.instant = instant;
        this.owner = owner;
    }

    /**
     * The effective deadline of {@code scope}, being constructed with {@code cfg} under a parent whose
     * effective deadline is {@code inherited} ({@link #NONE} for a root): the parent's if it is no later
     * than the scope's own, else the scope's own.
     */
    static Deadline effective(ScopeConfig cfg, Deadline inherited, ScopeImpl<?, ?> scope) {
        long now = Clocks.nanoTime();
        long own = NO_DEADLINE;
        Instant ownInstant = null;
        if (cfg.timeout().isPresent()) {
            Duration t = cfg.timeout().get();
            own = Timers.saturatedAdd(now, Timers.delayNanos(t));
            ownInstant = Timers.saturatedPlus(Clocks.instant(), t);
        } else if (cfg.deadline().isPresent()) {
            ownInstant = cfg.deadline().get();
            own = Timers.saturatedAdd(now, Timers.delayNanos(Duration.between(Clocks.instant(), ownInstant)));
        }
        if (inherited.nanos != NO_DEADLINE && (own == NO_DEADLINE || inherited.nanos - own <= 0)) {
            return inherited;
        }
        if (ownInstant == null) {
            return NONE;
        }
        return new Deadline(own, ownInstant, own == NO_DEADLINE ? null : scope);
    }

    /** Whether there is a deadline at all. */
    boolean isSet() {
        return nanos != NO_DEADLINE;
    }

    /**
     * Schedules {@code scope}'s expiry if this is its own deadline, or expires it now if that has passed.
     * Returns the timer, or {@code null} if none was scheduled.
     */
    ScheduledFuture<?> arm(ScopeImpl<?, ?> scope) {
        if (owner != scope) { // none, or inherited: the owner's timer covers it
            return null;
        }
        long delay = nanos - Clocks.nanoTime();
        if (delay <= 0) {
            scope.onDeadline();
            return null;
        }
        return Clocks.schedule(scope::onDeadline, delay);
    }

    /** The reason the expiry cancels {@link #owner} with. */
    CancelReason.Deadline reason() {
        return new CancelReason.Deadline(owner.path(), instant == null ? Clocks.instant() : instant);
    }

    /** What is left, zero once passed, unbounded for none. */
    Duration remaining() {
        if (nanos == NO_DEADLINE) {
            return UNBOUNDED;
        }
        long left = nanos - Clocks.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    /** {@code since + nanos}, saturated, for a bound counted from an earlier {@link Clocks#nanoTime()} reading. */
    static long after(long since, long nanos) {
        return Timers.saturatedAdd(since, nanos);
    }

    /**
     * Parks the current thread until {@code deadlineNanos} ({@link Clocks#nanoTime()} terms), an unpark or
     * a spurious wake-up; returns {@code false}, without parking, if the deadline has passed.
     */
    static boolean parkUntil(Object blocker, long deadlineNanos) {
        long left = deadlineNanos - Clocks.nanoTime();
        if (left <= 0) {
            return false;
        }
        Clocks.parkNanos(blocker, left);
        return true;
    }
}
