package dev.quiesce;

import java.time.Instant;
import java.util.Objects;

/**
 * Why a scope was cancelled. The first reason given to a scope wins; every task in the scope (and,
 * wrapped in {@link ParentCancelled}, every task in its descendants) sees the same reason through
 * {@link Scope#cancelReason()}.
 *
 * <p>Reasons are immutable values and safe to share between threads.
 */
public sealed interface CancelReason {

    /** A short human-readable description, used in logs, reports and exception messages. */
    String describe();

    /**
     * The reason at the top of the chain: for {@link ParentCancelled} the reason its ancestor was
     * cancelled with, otherwise this reason.
     */
    default CancelReason root() {
        CancelReason r = this;
        while (r instanceof ParentCancelled p) {
            r = p.parentReason();
        }
        return r;
    }

    /** Cancelled by a call to {@link Scope#cancel(CancelReason)} or {@link Scope#cancel()}. */
    record Explicit(String message) implements CancelReason {
        public Explicit {
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String describe() {
            return "explicit: " + message;
        }
    }

    /** Cancelled because the process received an operating-system signal (e.g. {@code TERM}). */
    record Signal(String name) implements CancelReason {
        public Signal {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String describe() {
            return "signal SIG" + name;
        }
    }

    /** Cancelled because the deadline of the scope at {@code scopePath} passed. */
    record Deadline(String scopePath, Instant deadline) implements CancelReason {
        public Deadline {
            Objects.requireNonNull(scopePath, "scopePath");
            Objects.requireNonNull(deadline, "deadline");
        }

        @Override
        public String describe() {
            return "deadline of " + scopePath + " passed (" + deadline + ")";
        }
    }

    /** Cancelled by the scope's joiner because a subtask failed (e.g. {@link Joiner#allSuccessfulOrThrow()}). */
    record SubtaskFailed(String scopePath, String threadName, Throwable failure) implements CancelReason {
        public SubtaskFailed {
            Objects.requireNonNull(scopePath, "scopePath");
            Objects.requireNonNull(threadName, "threadName");
            Objects.requireNonNull(failure, "failure");
        }

        @Override
        public String describe() {
            return "subtask in " + scopePath + " failed: " + failure;
        }
    }

    /**
     * Cancelled by the scope's joiner because its policy was satisfied and the remaining subtasks
     * are no longer needed (e.g. the first success of {@link Joiner#anySuccessfulResultOrThrow()}).
     */
    record Completed(String scopePath) implements CancelReason {
        public Completed {
            Objects.requireNonNull(scopePath, "scopePath");
        }

        @Override
        public String describe() {
            return "joiner of " + scopePath + " completed; remaining subtasks not needed";
        }
    }

    /** Cancelled because the thread that owns the scope was interrupted while it waited in {@code join()}. */
    record OwnerInterrupted(String scopePath) implements CancelReason {
        public OwnerInterrupted {
            Objects.requireNonNull(scopePath, "scopePath");
        }

        @Override
        public String describe() {
            return "owner of " + scopePath + " was interrupted";
        }
    }

    /** Cancelled because the scope was closed while subtasks were still running. */
    record Closed(String scopePath) implements CancelReason {
        public Closed {
            Objects.requireNonNull(scopePath, "scopePath");
        }

        @Override
        public String describe() {
            return "scope " + scopePath + " closed with subtasks still running";
        }
    }

    /** Cancelled because the enclosing scope at {@code parentPath} was cancelled. */
    record ParentCancelled(String parentPath, CancelReason parentReason) implements CancelReason {
        public ParentCancelled {
            Objects.requireNonNull(parentPath, "parentPath");
            Objects.requireNonNull(parentReason, "parentReason");
        }

        @Override
        public String describe() {
            return "parent " + parentPath + " cancelled (" + root().describe() + ")";
        }
    }

    /** An {@link Explicit} reason with the given message. */
    static CancelReason explicit(String message) {
        return new Explicit(message);
    }
}
