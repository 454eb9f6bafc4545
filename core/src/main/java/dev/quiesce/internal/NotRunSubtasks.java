package dev.quiesce.internal;

import dev.quiesce.Subtask;

/**
 * Subtasks that never run: what a fork returns once its work can no longer start (the JDK's
 * {@code StructuredTaskScope.fork} after shutdown returns one too, rather than throwing). Not part of the API.
 */
public final class NotRunSubtasks {
    private NotRunSubtasks() {}

    /**
     * A subtask of {@code scope} that never runs, already {@link Subtask.State#CANCELLED}; the scope does not
     * count it, so it never waits for it.
     */
    public static <T> Subtask<T> cancelled(EngineScope<?, ?> scope) {
        var s = new SubtaskImpl<T>((ScopeImpl<?, ?>) scope, null, null); // sealed: every EngineScope is one
        s.cancelUnstarted();
        return s;
    }
}
