package dev.quiesce;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A subtask thread that was still running when its scope stopped waiting for it: the close timeout
 * passed after the scope was cancelled. Quiesce abandons such threads, never silently: each one is
 * logged with its stack and kept in {@link Scope#stragglers()} for reports.
 *
 * @param threadName the thread's name
 * @param threadId the thread's id
 * @param virtual whether the thread is virtual
 * @param scopePath the path of the scope the subtask was forked into
 * @param stack the thread's stack when it was declared a straggler (outermost frame last)
 * @param sinceInterrupt time from the interrupt that should have stopped it to the moment it was
 *     declared a straggler; empty if it was never interrupted (e.g. it was shielded)
 */
public record Straggler(
        String threadName,
        long threadId,
        boolean virtual,
        String scopePath,
        List<StackTraceElement> stack,
        Optional<Duration> sinceInterrupt) {

    /** Validates and copies. */
    public Straggler {
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(scopePath, "scopePath");
        stack = List.copyOf(stack);
        Objects.requireNonNull(sinceInterrupt, "sinceInterrupt");
    }

    /** A multi-line description with the stack, as it is logged. */
    public String describe() {
        var sb = new StringBuilder();
        sb.append("straggler ").append(virtual ? "virtual " : "").append("thread #").append(threadId)
                .append(" \"").append(threadName).append("\" in ").append(scopePath)
                .append(sinceInterrupt.map(d -> ", still running " + d.toMillis() + " ms after interrupt")
                        .orElse(", never interrupted"));
        for (StackTraceElement e : stack) {
            sb.append("\n    at ").append(e);
        }
        return sb.toString();
    }
}
