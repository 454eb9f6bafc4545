package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.internal.EngineScope;
import java.util.List;

/**
 * What the phases of one run of the sequence work on, fixed when the coordinator starts it. The hook lists
 * are the live registration lists: each phase copies its list when it starts, under the registration lock
 * (see {@link Recorder#start}), so that a hook registered after the trigger but before its phase still runs.
 * Something new the phases act on is one more component here.
 *
 * @param shutdown for escalation, the pre-drain wait, what is left of the budget, and the soft stop
 * @param wasReady whether the service became ready before the trigger (final once triggered: see
 *     {@link Shutdown#becameReady()})
 * @param completedAtTrigger the in-flight tracker's completed count at the trigger, for the drain's count
 * @param ingresses the registered ingresses, live like the hook lists: copied when STOP_ACCEPTING starts
 *     (registration is refused from then on), and that copy is what DRAIN, CANCEL and REPORT act on
 */
record PhaseContext(
        Shutdown shutdown,
        ShutdownConfig cfg,
        EngineScope<Object, Void> root,
        CancelReason reason,
        String triggerKind,
        boolean wasReady,
        long inFlightAtTrigger,
        long completedAtTrigger,
        Readiness readiness,
        InFlightTracker inFlight,
        List<Registered<Shutdown.Hook>> stopListeners,
        List<Registered<Shutdown.PersistHook>> persistHooks,
        List<Registered<AutoCloseable>> cleanups,
        List<Registered<Ingress>> ingresses) {}
