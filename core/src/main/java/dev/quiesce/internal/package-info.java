/**
 * Implementation of the scope engine: tree bookkeeping, the timer thread, JFR events. Not exported;
 * nothing here is API. The engine is {@code ScopeImpl}; Quiesce's own services ({@code dev.quiesce.shutdown},
 * {@code dev.quiesce.http}) talk to it through {@link dev.quiesce.internal.EngineScope}.
 */
package dev.quiesce.internal;
