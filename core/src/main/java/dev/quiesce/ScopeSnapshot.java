package dev.quiesce;

import dev.quiesce.internal.Json;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A point-in-time view of a scope, its running subtasks and its child scopes, taken while the tree
 * runs (so sibling entries may be from slightly different moments). Rendered for people with
 * {@link #toText()} and for tools with {@link #toJson()}.
 *
 * @param path the scope path
 * @param owner the owner thread's name
 * @param state {@code OPEN}, {@code JOINED} or {@code CLOSED}
 * @param cancelReason why it was cancelled, if it was
 * @param stopRequested whether a soft stop was requested
 * @param deadline the effective deadline, if any
 * @param subtasks the subtasks whose threads are running
 * @param children the child scopes that are open
 */
public record ScopeSnapshot(
        String path,
        String owner,
        String state,
        Optional<String> cancelReason,
        boolean stopRequested,
        Optional<Instant> deadline,
        List<SubtaskSnapshot> subtasks,
        List<ScopeSnapshot> children) {

    /** Validates and copies. */
    public ScopeSnapshot {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(cancelReason, "cancelReason");
        Objects.requireNonNull(deadline, "deadline");
        subtasks = List.copyOf(subtasks);
        children = List.copyOf(children);
    }

    /**
     * A running subtask.
     *
     * @param threadName its thread's name
     * @param threadId its thread's id
     * @param threadState its thread's state ({@code RUNNABLE}, {@code WAITING}, ...)
     * @param state the subtask's state
     */
    public record SubtaskSnapshot(String threadName, long threadId, String threadState, Subtask.State state) {
        /** Validates. */
        public SubtaskSnapshot {
            Objects.requireNonNull(threadName, "threadName");
            Objects.requireNonNull(threadState, "threadState");
            Objects.requireNonNull(state, "state");
        }
    }

    /** Every scope in this tree, depth first, this one included. */
    public List<ScopeSnapshot> flatten() {
        var out = new java.util.ArrayList<ScopeSnapshot>();
        flattenInto(out);
        return List.copyOf(out);
    }

    private void flattenInto(List<ScopeSnapshot> out) {
        out.add(this);
        for (ScopeSnapshot c : children) {
            c.flattenInto(out);
        }
    }

    /** An indented, human-readable rendering of the tree. */
    public String toText() {
        var sb = new StringBuilder();
        appendText(sb, 0);
        return sb.toString();
    }

    private void appendText(StringBuilder sb, int depth) {
        String indent = "  ".repeat(depth);
        sb.append(indent).append(path).append(" [").append(state);
        cancelReason.ifPresent(r -> sb.append(", cancelled: ").append(r));
        if (stopRequested && cancelReason.isEmpty()) {
            sb.append(", stop requested");
        }
        deadline.ifPresent(d -> sb.append(", deadline ").append(d));
        sb.append("] owner=").append(owner).append(", ").append(subtasks.size()).append(" running\n");
        for (SubtaskSnapshot s : subtasks) {
            sb.append(indent).append("  - #").append(s.threadId()).append(' ').append(s.threadName())
                    .append(' ').append(s.threadState()).append(' ').append(s.state()).append('\n');
        }
        for (ScopeSnapshot c : children) {
            c.appendText(sb, depth + 1);
        }
    }

    /** A JSON rendering of the tree (one object; children nested). */
    public String toJson() {
        var sb = new StringBuilder();
        appendJson(sb);
        return sb.toString();
    }

    private void appendJson(StringBuilder sb) {
        sb.append("{\"path\":").append(Json.quote(path))
                .append(",\"owner\":").append(Json.quote(owner))
                .append(",\"state\":").append(Json.quote(state))
                .append(",\"cancelReason\":").append(cancelReason.map(Json::quote).orElse("null"))
                .append(",\"stopRequested\":").append(stopRequested)
                .append(",\"deadline\":").append(deadline.map(d -> Json.quote(d.toString())).orElse("null"))
                .append(",\"subtasks\":[");
        for (int i = 0; i < subtasks.size(); i++) {
            SubtaskSnapshot s = subtasks.get(i);
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"thread\":").append(Json.quote(s.threadName()))
                    .append(",\"threadId\":").append(s.threadId())
                    .append(",\"threadState\":").append(Json.quote(s.threadState()))
                    .append(",\"state\":").append(Json.quote(s.state().name()))
                    .append('}');
        }
        sb.append("],\"children\":[");
        for (int i = 0; i < children.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            children.get(i).appendJson(sb);
        }
        sb.append("]}");
    }
}
