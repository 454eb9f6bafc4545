package dev.quiesce;

import java.io.Serial;
import java.util.Objects;

/**
 * Thrown when a scope was cancelled for a reason other than its own joiner's decision: by an explicit
 * {@link Scope#cancel(CancelReason)}, a signal, a cancelled parent or a closed scope. Also thrown by
 * {@link Scope#throwIfCancelled()} so that CPU-bound code can stop at a point of its choosing.
 *
 * <p>Failures of subtasks that are not themselves caused by the cancellation are attached as
 * {@linkplain #getSuppressed() suppressed} exceptions.
 */
public class CancelledException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient CancelReason reason;

    /** Creates an exception for a scope cancelled with {@code reason}. */
    public CancelledException(String message, CancelReason reason) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The reason the scope was cancelled. */
    public CancelReason reason() {
        return reason;
    }
}
