package dev.quiesce;

import java.io.Serial;

/**
 * Thrown by {@link Scope#join()} when the scope's effective deadline (its own or an ancestor's,
 * whichever is earlier) passed before the joiner completed, and by {@link Shield} when a shielded
 * region outlived its budget. The scope was cancelled with a {@link CancelReason.Deadline} reason.
 */
public class DeadlineExceededException extends CancelledException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates an exception for a scope whose deadline passed. */
    public DeadlineExceededException(String message, CancelReason reason) {
        super(message, reason);
    }
}
