/**
 * Graceful shutdown: {@link dev.quiesce.shutdown.Shutdown} turns SIGTERM into an ordered,
 * deadline-bounded sequence (drain, cancel, persist, clean up, report, exit) around the service's
 * root scope. {@link dev.quiesce.shutdown.Readiness} and {@link dev.quiesce.shutdown.InFlightTracker}
 * feed health checks and draining; {@link dev.quiesce.shutdown.AtomicFiles} writes state that a crash
 * cannot tear; {@link dev.quiesce.shutdown.ShutdownReport} says what happened.
 */
package dev.quiesce.shutdown;
