/**
 * The scope engine: a cancellation tree on virtual threads. The entry point is
 * {@link dev.quiesce.Scope#open()}; {@link dev.quiesce.Joiner} holds the join policies,
 * {@link dev.quiesce.CancelReason} the reasons a scope is cancelled, and {@link dev.quiesce.Shield}
 * the regions cancellation does not interrupt.
 */
package dev.quiesce;
