package dev.quiesce;

import java.io.Serial;

/**
 * Thrown by {@link Scope#join()} when the scope's {@link Joiner} reports failure. The
 * {@linkplain #getCause() cause} is the first failure; every other failure recorded by the scope,
 * including failures that happened after cancellation and were not themselves caused by it, is
 * attached as {@linkplain #getSuppressed() suppressed}. No failure is dropped.
 */
public class FailedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Creates an exception whose cause is the first failure. */
    public FailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
