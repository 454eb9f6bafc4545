/**
 * Micrometer metrics of a Quiesce service. The entry point is {@link dev.quiesce.micrometer.QuiesceMetrics}: a
 * {@code MeterBinder} that is also the shutdown's {@code PhaseListener}.
 */
package dev.quiesce.micrometer;
