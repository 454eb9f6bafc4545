/**
 * OpenTelemetry for Quiesce: the shutdown's spans ({@link dev.quiesce.opentelemetry.QuiesceOpenTelemetry}), the
 * {@code Context} carried across forks, and the SDK's flush in the reserved telemetry-flush slice.
 */
package dev.quiesce.opentelemetry;
