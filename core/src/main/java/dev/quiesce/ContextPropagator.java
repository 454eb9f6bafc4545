package dev.quiesce;

import dev.quiesce.internal.MdcPropagator;

/**
 * Carries a thread's context (a logging MDC, a tracing context, a security principal) from the thread
 * that forks a subtask to the thread that runs it. For every {@link Scope#fork fork}, each propagator of
 * the scope is asked, in order:
 *
 * <ol>
 *   <li>{@link #capture()} on the <em>forking</em> thread, during {@code fork()}, before the subtask's thread
 *       exists;
 *   <li>{@link #restore(Object)} on the subtask's thread, before the task runs;
 *   <li>{@link #clear(Object)} on the subtask's thread, after the task returned or threw (in reverse order
 *       of the restores).
 * </ol>
 *
 * A capture that returns {@code null} means "nothing to carry": that propagator is then not called on the
 * subtask's thread at all, and a fork for which no propagator captured anything costs no allocation.
 *
 * <p>Propagators are configured per scope ({@link ScopeConfig#withPropagator}, {@link
 * ScopeConfig#withoutPropagator}) and inherited down the tree: a scope opened inside a subtask (or by the
 * owner of an open scope) starts with its parent's propagators. A root scope starts with {@link #mdc()}.
 *
 * <p><b>Failures.</b> An exception from {@code capture()} comes out of {@code fork()}, wrapped in an
 * {@link IllegalStateException} that names the propagator and the scope, and no subtask is created (the
 * joiner's {@code onFork} is not called, no thread is created). An exception from {@code restore()} fails the
 * subtask (state {@link Subtask.State#FAILED}) without running its task; one from {@code clear()} fails a
 * subtask whose task succeeded, or is added as suppressed to the task's own exception. In each case the
 * propagators already restored are still cleared.
 *
 * <p>Implementations must be thread-safe: one instance serves every fork of every scope it is configured on.
 * Two propagators are the same (for {@link ScopeConfig#withoutPropagator}) when they are {@code equals}.
 */
public interface ContextPropagator {

    /**
     * Captures the current thread's context, on the forking thread.
     *
     * @return what {@link #restore} needs on the subtask's thread, or {@code null} if there is nothing to carry
     */
    Object capture();

    /**
     * Installs {@code captured} on the subtask's thread, before its task runs.
     *
     * @param captured what {@link #capture()} returned; never {@code null}
     */
    void restore(Object captured);

    /**
     * Removes what {@link #restore} installed, on the subtask's thread, after its task ended.
     *
     * @param captured what {@link #capture()} returned; never {@code null}
     */
    void clear(Object captured);

    /** A short name for error messages; the class name unless overridden. */
    default String name() {
        return getClass().getName();
    }

    /**
     * The built-in propagator of slf4j's {@link org.slf4j.MDC}, on by default in every root scope: it
     * captures a copy of the forking thread's MDC map (nothing when the map is empty or absent), sets it as
     * the subtask thread's map before the task runs and clears that map afterwards. Changes a task makes to
     * its MDC are its own: they are not seen by the forking thread or by other subtasks. Remove it with
     * {@code cfg.withoutPropagator(ContextPropagator.mdc())}.
     *
     * @return the MDC propagator (one shared instance)
     */
    static ContextPropagator mdc() {
        return MdcPropagator.INSTANCE;
    }
}
