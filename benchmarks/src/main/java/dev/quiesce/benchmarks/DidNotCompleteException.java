package dev.quiesce.benchmarks;

/**
 * Thrown by a benchmark whose operation did not finish within its bound. JMH reports it as the
 * benchmark's failure and the results script shows the cell as "did not complete".
 */
final class DidNotCompleteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Marker the results script looks for in the JMH log. */
    static final String MARKER = "DID-NOT-COMPLETE";

    DidNotCompleteException(String message) {
        super(MARKER + ": " + message);
    }
}
