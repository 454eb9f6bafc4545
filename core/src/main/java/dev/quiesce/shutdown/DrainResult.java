package dev.quiesce.shutdown;

import dev.quiesce.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The report so far at the end of {@link Phase#DRAIN}: what {@link Shutdown#drain()} returns (and a preStop
 * hook's {@code POST /quiesce/drain} answers with), once the in-flight work is done or the grace period has
 * run out. The rest of the sequence ({@link Phase#CANCEL} onwards) is in the {@link ShutdownReport}.
 *
 * @param reason why the shutdown started
 * @param trigger the kind of trigger (see {@link ShutdownReport#trigger()}): {@code DRAIN_REQUEST} when
 *     {@link Shutdown#drain()} started it
 * @param startedAt when the trigger arrived
 * @param elapsed from the trigger to the end of the drain
 * @param complete whether every in-flight request finished and every service returned within the grace period
 * @param requestsInFlightAtTrigger work in flight when the shutdown started
 * @param requestsDrained work that completed from the trigger to the end of the drain
 * @param requestsInFlight work still in flight at the end of the drain (the cancel phase interrupts it)
 * @param phases the phases that ran, {@link Phase#TRIGGER} to {@link Phase#DRAIN}
 * @param hooks the outcome of every listener that ran so far (the stop-accepting ones)
 */
public record DrainResult(
        String reason,
        String trigger,
        Instant startedAt,
        Duration elapsed,
        boolean complete,
        long requestsInFlightAtTrigger,
        long requestsDrained,
        long requestsInFlight,
        List<ShutdownReport.PhaseTiming> phases,
        List<ShutdownReport.HookOutcome> hooks) {

    /** Validates and copies. */
    public DrainResult {
        if (reason == null || trigger == null || startedAt == null || elapsed == null) {
            throw new NullPointerException("reason, trigger, startedAt and elapsed must not be null");
        }
        phases = List.copyOf(phases);
        hooks = List.copyOf(hooks);
    }

    /** A JSON rendering (one object), with the phases and hooks as {@link ShutdownReport#toJson()} renders them. */
    public String toJson() {
        var sb = new StringBuilder();
        sb.append("{\"drainComplete\":").append(complete)
                .append(",\"reason\":").append(Json.quote(reason))
                .append(",\"trigger\":").append(Json.quote(trigger))
                .append(",\"startedAt\":").append(Json.quote(startedAt.toString()))
                .append(",\"elapsedMillis\":").append(elapsed.toMillis())
                .append(",\"requestsInFlightAtTrigger\":").append(requestsInFlightAtTrigger)
                .append(",\"requestsDrained\":").append(requestsDrained)
                .append(",\"requestsInFlight\":").append(requestsInFlight)
                .append(",\"phases\":");
        ShutdownReport.appendPhases(sb, phases);
        sb.append(",\"hooks\":");
        ShutdownReport.appendHooks(sb, hooks);
        return sb.append('}').toString();
    }
}
