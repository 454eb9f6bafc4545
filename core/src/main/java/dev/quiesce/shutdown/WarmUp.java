package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.ScopeConfig;
import dev.quiesce.Subtask;
import dev.quiesce.internal.Clocks;
import dev.quiesce.internal.EngineScope;
import dev.quiesce.internal.LeakProbe;
import dev.quiesce.internal.PhaseEvent;
import dev.quiesce.internal.ThreadDump;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads, initialises and links what the sequence uses when the shutdown starts rather than after SIGTERM:
 * the sequence runs once, on a cold JVM, inside its budget. A class added to the post-trigger path belongs
 * in {@link #preload()}'s list.
 */
final class WarmUp {
    private WarmUp() {}

    /**
     * Loads and initialises what the sequence uses, now rather than after SIGTERM: the first JFR event
     * class alone costs a few hundred milliseconds of class loading, which would otherwise be spent
     * inside the shutdown budget.
     */
    static void preload() {
        PhaseEvent.warmUp();
        Clocks.warmUp(); // links every time read and timed wait, and starts the timer thread the watchdog uses
        rehearseReport();
        // links the describe() the TRIGGER phase calls, and HookRunner's thread start, with a hook that does nothing
        if (new CancelReason.Signal("TERM").describe().isEmpty()
                || HookRunner.run("quiesce-warm-up", Duration.ofSeconds(10), new HookCall(Phase.STOP_ACCEPTING,
                        (Shutdown.Hook) () -> { }, Duration.ZERO)).status() != HookRunner.Status.OK) {
            throw new AssertionError("warm-up failed");
        }
        for (Class<?> c : new Class<?>[] {ShutdownReport.class, ShutdownReport.PhaseTiming.class,
                ShutdownReport.HookOutcome.class, ShutdownReport.Outcome.class, ShutdownReport.HookStatus.class,
                HookRunner.class, HookRunner.Result.class, HookRunner.Status.class, Phase.class, ThreadDump.class,
                Recorder.class, HookCall.class, HookShares.class, Registered.class, PhaseContext.class,
                ShutdownSequence.class, ShutdownSequence.Wait.class, ShutdownTime.class, CancelReason.Signal.class,
                CancelReason.ParentCancelled.class, CancelReason.Explicit.class, CancelReason.SubtaskFailed.class,
                Subtask.State.class, Ingress.class, IngressDescription.class, Clocks.class, LeakProbe.class,
                LeakProbe.OpenTicket.class, DrainResult.class,
                Clocks.defaultClock().getClass(), Clocks.installed().getClass()}) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Renders a report of every phase and hook status and one ingress once, as text and JSON, and throws it
     * away: the rendering's first run loads and links {@code java.time}'s formatting of {@link Instant} and
     * every string concatenation and lambda of {@link ShutdownReport} and {@link IngressDescription}, which
     * would otherwise be done after SIGTERM, between the end of the sequence and the exit (measured: 20-30 ms of a cold JVM's time).
     */
    static void rehearseReport() {
        Instant startedAt = ShutdownTime.now().minusNanos(1);
        List<ShutdownReport.PhaseTiming> phases = new ArrayList<>();
        for (Phase p : Phase.values()) {
            phases.add(new ShutdownReport.PhaseTiming(p, Duration.ofNanos(1), Duration.ofNanos(1), "rehearsal"));
        }
        List<ShutdownReport.HookOutcome> hooks = new ArrayList<>();
        for (ShutdownReport.HookStatus st : ShutdownReport.HookStatus.values()) {
            hooks.add(new ShutdownReport.HookOutcome(Phase.CLEANUP, "rehearsal", st, Duration.ZERO,
                    st == ShutdownReport.HookStatus.OK ? Optional.empty() : Optional.of("rehearsal")));
        }
        var rep = new ShutdownReport("rehearsal", "PROGRAMMATIC", startedAt, Duration.ZERO, phases, 0, 0, 0, 0,
                false, List.of(), hooks, ShutdownReport.Outcome.CLEAN, 0,
                List.of(new IngressDescription("rehearsal", "rehearsal", "rehearsal", 0, 0, 0, 0, 0)));
        if (rep.toText().isEmpty() || rep.toJson().isEmpty()) {
            throw new AssertionError("a report renders to an empty string");
        }
    }

    /**
     * The engine calls the ABANDON phase makes, rehearsed on an empty scope of the calling thread (the
     * coordinator), now rather than after the trigger (measured: 3-5 ms of first-use class loading and
     * linking in that phase).
     */
    static void rehearseEngine(String name) {
        try (var rehearsal = EngineScope.open(Joiner.awaitAll(), ScopeConfig.defaults()
                .withName(name + "-warm-up"))) {
            rehearsal.collectStragglers();
        }
    }
}
