package dev.quiesce.shutdown;

/** The phases of a shutdown, in the order they run. Each is timed, logged and reported. */
public enum Phase {
    /** A signal, {@link Shutdown#initiate}, a failed service or the JVM's own shutdown started the sequence. */
    TRIGGER,
    /** Readiness turns {@code DRAINING}; then the pre-drain delay lets load balancers notice. */
    READINESS,
    /** Registered listeners stop accepting new work (close their accept side). */
    STOP_ACCEPTING,
    /** Soft stop to services; wait until in-flight work and services finish, up to the grace period. */
    DRAIN,
    /** Interrupt whatever is left; wait up to the cancel grace. */
    CANCEL,
    /** Report threads that still did not stop (stragglers) with their stacks, and move on without them. */
    ABANDON,
    /** State hooks run, each bounded and outside the cancelled tree, each told the remaining budget. */
    PERSIST,
    /** Resources close in reverse order of registration, each with its own timeout. */
    CLEANUP,
    /** The {@link ShutdownReport} is built and logged. */
    REPORT,
    /**
     * Only with a {@linkplain Shutdown.Builder#telemetryFlush telemetry-flush slice}: the telemetry-flush hooks
     * ({@link Shutdown#onTelemetryFlush}) export and close metrics and spans within the slice held back from
     * the earlier phases, after the report is made (the listeners have been told it) and before the exit.
     */
    TELEMETRY_FLUSH,
    /** The process exits with the report's exit code (unless the exit policy says to return). */
    EXIT
}
