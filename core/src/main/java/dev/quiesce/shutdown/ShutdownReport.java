package dev.quiesce.shutdown;

import dev.quiesce.Straggler;
import dev.quiesce.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a shutdown did: why it started, how long each phase took, how much work drained or was
 * cancelled, which threads were abandoned, how every hook ended, and the exit code. Logged when the
 * sequence ends and available as JSON for tools.
 *
 * @param reason why the shutdown started (e.g. {@code signal SIGTERM})
 * @param trigger the kind of trigger: {@code SIGNAL}, {@code PROGRAMMATIC}, {@code SERVICE_FAILED},
 *     {@code STARTER_FAILED} (the thread that started the shutdown died of an exception),
 *     {@code JVM_SHUTDOWN} or {@code DRAIN_REQUEST} ({@link Shutdown#drain()}, e.g. a preStop hook)
 * @param startedAt when the trigger arrived
 * @param total time from trigger to the end of the report phase
 * @param phases each phase that ran, in order
 * @param requestsInFlightAtTrigger work in flight when the shutdown started
 * @param requestsDrained work that completed during the shutdown
 * @param requestsInFlightAtCancel work still in flight when the grace period ended (then cancelled)
 * @param tasksCancelled service tasks still running when the grace period ended (then interrupted)
 * @param escalated whether a repeated signal cut the grace period short
 * @param stragglers threads that did not stop within the cancel grace, abandoned
 * @param hooks the outcome of every listener and hook, in the order they ran
 * @param outcome the overall outcome
 * @param exitCode the process's exit code: the outcome's, unless {@link Shutdown#exit(int)} asked for another;
 *     {@link #EXIT_CODE_OF_THE_JVM} if the JVM was already exiting when the sequence ended (it ran in the
 *     JVM's shutdown: {@code System.exit} elsewhere, or a signal Quiesce does not handle), so that the JVM's
 *     status, which Java cannot read, stands
 * @param ingresses one entry per {@linkplain Shutdown#ingress(Ingress) registered ingress}, in registration
 *     order, with its counts as the REPORT phase found them
 */
public record ShutdownReport(
        String reason,
        String trigger,
        Instant startedAt,
        Duration total,
        List<PhaseTiming> phases,
        long requestsInFlightAtTrigger,
        long requestsDrained,
        long requestsInFlightAtCancel,
        int tasksCancelled,
        boolean escalated,
        List<Straggler> stragglers,
        List<HookOutcome> hooks,
        Outcome outcome,
        int exitCode,
        List<IngressDescription> ingresses) {

    /** A report without ingresses (the components of a report before {@link Ingress} existed). */
    public ShutdownReport(String reason, String trigger, Instant startedAt, Duration total, List<PhaseTiming> phases,
            long requestsInFlightAtTrigger, long requestsDrained, long requestsInFlightAtCancel, int tasksCancelled,
            boolean escalated, List<Straggler> stragglers, List<HookOutcome> hooks, Outcome outcome, int exitCode) {
        this(reason, trigger, startedAt, total, phases, requestsInFlightAtTrigger, requestsDrained,
                requestsInFlightAtCancel, tasksCancelled, escalated, stragglers, hooks, outcome, exitCode, List.of());
    }

    /** Validates and copies. */
    public ShutdownReport {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(total, "total");
        phases = List.copyOf(phases);
        stragglers = List.copyOf(stragglers);
        hooks = List.copyOf(hooks);
        ingresses = List.copyOf(ingresses);
        Objects.requireNonNull(outcome, "outcome");
    }

    /** The overall outcome of a shutdown, most severe first; each has its own exit code. */
    public enum Outcome {
        /**
         * A supervised service failed, or the thread that started the shutdown (usually {@code main}) died
         * of an exception, which started the shutdown. Exit code 1.
         */
        SERVICE_FAILED(1),
        /** Work had to be interrupted after the grace period, or threads were abandoned. Exit code 2. */
        FORCED(2),
        /** A persist or cleanup hook (or a stop listener) failed or timed out. Exit code 3. */
        HOOKS_FAILED(3),
        /** Everything drained, every hook succeeded. Exit code 0. */
        CLEAN(0);

        private final int exitCode;

        Outcome(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The process exit code. */
        public int exitCode() {
            return exitCode;
        }
    }

    /**
     * The {@link #exitCode()} of a sequence that ended while the JVM was already exiting: the process exits
     * with the JVM's status (e.g. 143 after a SIGTERM that Quiesce did not handle), not one of the outcome's.
     */
    public static final int EXIT_CODE_OF_THE_JVM = -1;

    /** Exit code used when the watchdog or a third signal halts the JVM (no report is complete then). */
    public static final int HALTED_EXIT_CODE = 4;

    /**
     * One phase's timing.
     *
     * @param phase the phase
     * @param startOffset from the trigger to the start of the phase
     * @param duration how long it ran
     * @param note what happened, e.g. {@code drained} or {@code grace expired, 3 in flight}
     */
    public record PhaseTiming(Phase phase, Duration startOffset, Duration duration, String note) {
        /** Validates. */
        public PhaseTiming {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(startOffset, "startOffset");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(note, "note");
        }
    }

    /** How a hook ended. */
    public enum HookStatus {
        /** Completed normally. */
        OK,
        /** Threw; see {@link HookOutcome#error()}. */
        FAILED,
        /** Did not return within its timeout; it was interrupted and abandoned. */
        TIMED_OUT,
        /**
         * Not run: no budget was left for it, or it is a state hook and the service never became ready
         * (see {@link Shutdown#becameReady()}); {@link HookOutcome#error()} says which.
         */
        SKIPPED
    }

    /**
     * The outcome of one hook.
     *
     * @param phase the phase it ran in
     * @param name its registered name
     * @param status how it ended
     * @param duration how long it ran
     * @param error the exception it threw, or why it was skipped or timed out
     */
    public record HookOutcome(Phase phase, String name, HookStatus status, Duration duration, Optional<String> error) {
        /** Validates. */
        public HookOutcome {
            Objects.requireNonNull(phase, "phase");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(error, "error");
        }
    }

    /** The timing of {@code phase}, if it ran. */
    public Optional<PhaseTiming> phase(Phase phase) {
        return phases.stream().filter(p -> p.phase() == phase).findFirst();
    }

    /** A multi-line, human-readable rendering, as it is logged. */
    public String toText() {
        var sb = new StringBuilder();
        sb.append("shutdown report: ").append(reason).append(" (").append(trigger).append("), outcome ")
                .append(outcome).append(exitCode == EXIT_CODE_OF_THE_JVM ? ", exit code of the JVM (it was already exiting)"
                        : ", exit code " + exitCode).append(", total ")
                .append(total.toMillis()).append(" ms\n");
        for (PhaseTiming p : phases) {
            // "  %-15s +%6d ms  %6d ms  %s%n", without java.util.Formatter: the report is rendered after
            // SIGTERM, and a first String.format loads and initialises the Formatter and locale data (~20 ms)
            sb.append("  ");
            padRight(sb, p.phase().name(), 15);
            sb.append(" +");
            padLeft(sb, Long.toString(p.startOffset().toMillis()), 6);
            sb.append(" ms  ");
            padLeft(sb, Long.toString(p.duration().toMillis()), 6);
            sb.append(" ms  ").append(p.note()).append(System.lineSeparator());
        }
        sb.append("  requests: ").append(requestsInFlightAtTrigger).append(" in flight at trigger, ")
                .append(requestsDrained).append(" drained, ").append(requestsInFlightAtCancel)
                .append(" cancelled; tasks cancelled: ").append(tasksCancelled)
                .append(escalated ? "; escalated by a repeated signal" : "").append('\n');
        for (IngressDescription i : ingresses) {
            sb.append("  ").append(i.toText()).append('\n');
        }
        for (HookOutcome h : hooks) {
            sb.append("  hook ").append(h.phase()).append(' ').append(h.name()).append(": ").append(h.status())
                    .append(" in ").append(h.duration().toMillis()).append(" ms")
                    .append(h.error().map(e -> " (" + e + ")").orElse("")).append('\n');
        }
        for (Straggler s : stragglers) {
            sb.append("  ").append(s.describe().replace("\n", "\n  ")).append('\n');
        }
        return sb.toString();
    }

    private static void padRight(StringBuilder sb, String s, int width) {
        sb.append(s);
        sb.repeat(' ', Math.max(0, width - s.length()));
    }

    private static void padLeft(StringBuilder sb, String s, int width) {
        sb.repeat(' ', Math.max(0, width - s.length()));
        sb.append(s);
    }

    /** A JSON rendering (one object). */
    public String toJson() {
        var sb = new StringBuilder();
        sb.append("{\"reason\":").append(Json.quote(reason))
                .append(",\"trigger\":").append(Json.quote(trigger))
                .append(",\"startedAt\":").append(Json.quote(startedAt.toString()))
                .append(",\"totalMillis\":").append(total.toMillis())
                .append(",\"outcome\":").append(Json.quote(outcome.name()))
                .append(",\"exitCode\":").append(exitCode())
                .append(",\"requestsInFlightAtTrigger\":").append(requestsInFlightAtTrigger)
                .append(",\"requestsDrained\":").append(requestsDrained)
                .append(",\"requestsInFlightAtCancel\":").append(requestsInFlightAtCancel)
                .append(",\"tasksCancelled\":").append(tasksCancelled)
                .append(",\"escalated\":").append(escalated)
                .append(",\"phases\":");
        appendPhases(sb, phases);
        sb.append(",\"hooks\":");
        appendHooks(sb, hooks);
        sb.append(",\"stragglers\":[");
        for (int i = 0; i < stragglers.size(); i++) {
            Straggler s = stragglers.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"thread\":").append(Json.quote(s.threadName()))
                    .append(",\"threadId\":").append(s.threadId())
                    .append(",\"scope\":").append(Json.quote(s.scopePath()))
                    .append(",\"sinceInterruptMillis\":")
                    .append(s.sinceInterrupt().map(d -> Long.toString(d.toMillis())).orElse("null"))
                    .append(",\"stack\":[");
            for (int j = 0; j < s.stack().size(); j++) {
                sb.append(j == 0 ? "" : ",").append(Json.quote(s.stack().get(j).toString()));
            }
            sb.append("]}");
        }
        sb.append("],\"ingresses\":[");
        for (int i = 0; i < ingresses.size(); i++) {
            IngressDescription d = ingresses.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(d.name()))
                    .append(",\"protocol\":").append(Json.quote(d.protocol()))
                    .append(",\"address\":").append(Json.quote(d.address()))
                    .append(",\"accepted\":").append(d.accepted())
                    .append(",\"completed\":").append(d.completed())
                    .append(",\"drained\":").append(d.drained())
                    .append(",\"cancelled\":").append(d.cancelled())
                    .append(",\"inFlight\":").append(d.inFlight()).append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    /** Appends {@code phases} as a JSON array (shared with {@link DrainResult#toJson()}). */
    static void appendPhases(StringBuilder sb, List<PhaseTiming> phases) {
        sb.append('[');
        for (int i = 0; i < phases.size(); i++) {
            PhaseTiming p = phases.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"phase\":").append(Json.quote(p.phase().name()))
                    .append(",\"startMillis\":").append(p.startOffset().toMillis())
                    .append(",\"durationMillis\":").append(p.duration().toMillis())
                    .append(",\"note\":").append(Json.quote(p.note())).append('}');
        }
        sb.append(']');
    }

    /** Appends {@code hooks} as a JSON array (shared with {@link DrainResult#toJson()}). */
    static void appendHooks(StringBuilder sb, List<HookOutcome> hooks) {
        sb.append('[');
        for (int i = 0; i < hooks.size(); i++) {
            HookOutcome h = hooks.get(i);
            sb.append(i == 0 ? "" : ",").append("{\"phase\":").append(Json.quote(h.phase().name()))
                    .append(",\"name\":").append(Json.quote(h.name()))
                    .append(",\"status\":").append(Json.quote(h.status().name()))
                    .append(",\"durationMillis\":").append(h.duration().toMillis())
                    .append(",\"error\":").append(h.error().map(Json::quote).orElse("null")).append('}');
        }
        sb.append(']');
    }
}
