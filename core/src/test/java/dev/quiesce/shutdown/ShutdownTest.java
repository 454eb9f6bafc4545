package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.CancelReason;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sequence in-process, triggered programmatically, with the exit policy RETURN. The tests whose sequence
 * waits out a budget, a grace period or a hook timeout run it in virtual time ({@link #inVirtualTime}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class ShutdownTest {

    @TempDir
    Path dir;

    static Shutdown.Builder builder(List<String> events) {
        return Shutdown.builder()
                .signals()
                .exitPolicy(Shutdown.ExitPolicy.RETURN)
                .cancelGrace(Duration.ofMillis(300))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        events.add("start " + phase);
                    }
                });
    }

    /**
     * Lets the sequence, already started, run to its end in {@code clock}'s time (the clock installed before
     * the shutdown was built), never past its budget; returns its report.
     */
    static ShutdownReport inVirtualTime(ManualClock clock, Shutdown shutdown) throws InterruptedException {
        assertThat(clock.runUntilDone(() -> shutdown.report().isPresent(), shutdown::remaining,
                SystemClockAfterEach.PATIENCE)).as("the sequence ended (it is in phase %s, %s)", shutdown.phase(),
                        clock).isTrue();
        return shutdown.report().orElseThrow();
    }

    @Test
    void theSequence_runsEveryPhaseInOrder_drainsInFlightWork_andIsClean() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var releaseRequest = new CountDownLatch(1);
        Shutdown shutdown = builder(events).onPhase(new Shutdown.PhaseListener() {
            @Override
            public void started(Phase phase) {
                if (phase == Phase.DRAIN) {
                    releaseRequest.countDown(); // the request in flight completes during the drain
                }
            }
        }).start();
        assertThat(shutdown.readiness().get()).isEqualTo(Readiness.State.STARTING);
        shutdown.markReady();
        assertThat(shutdown.readiness().isReady()).isTrue();

        // a request in flight when the shutdown starts, finishing during the drain
        var requestStarted = new CountDownLatch(1);
        Thread request = Thread.ofVirtual().start(() -> {
            try (var _ = shutdown.inFlight().enter()) {
                requestStarted.countDown();
                releaseRequest.await();
                events.add("request done");
            } catch (InterruptedException e) {
                events.add("request interrupted");
            }
        });
        requestStarted.await();
        shutdown.onStopAccepting("listener", () -> events.add("stop accepting, readiness " + shutdown.readiness().get()));
        Path stateFile = dir.resolve("state.json");
        shutdown.onPersist("state", budget -> {
            events.add("persist with budget " + (budget.isPositive() ? "positive" : "none"));
            AtomicFiles.writeString(stateFile, "{\"ok\":true}");
        });
        shutdown.onCleanup("pool", () -> events.add("close pool"));
        shutdown.onCleanup("server", () -> events.add("close server"));
        shutdown.fork("worker", () -> {
            while (!Scope.stopRequested()) {
                Thread.onSpinWait();
            }
            events.add("worker saw stop");
        });

        assertThat(shutdown.initiate("test")).isTrue();
        assertThat(shutdown.initiate("again")).isFalse();
        ShutdownReport report = shutdown.awaitTermination();
        request.join();

        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.exitCode()).isZero();
        assertThat(report.reason()).isEqualTo("explicit: test");
        assertThat(report.phases()).extracting(ShutdownReport.PhaseTiming::phase).containsExactly(Phase.TRIGGER,
                Phase.READINESS, Phase.STOP_ACCEPTING, Phase.DRAIN, Phase.CANCEL, Phase.ABANDON, Phase.PERSIST,
                Phase.CLEANUP, Phase.REPORT);
        assertThat(report.requestsInFlightAtTrigger()).isEqualTo(1);
        assertThat(report.requestsDrained()).isEqualTo(1);
        assertThat(report.requestsInFlightAtCancel()).isZero();
        assertThat(report.tasksCancelled()).isZero();
        assertThat(Files.readString(stateFile)).isEqualTo("{\"ok\":true}");
        assertThat(shutdown.readiness().get()).isEqualTo(Readiness.State.STOPPED);
        assertThat(events).containsSubsequence(
                "start TRIGGER", "start READINESS", "start STOP_ACCEPTING", "stop accepting, readiness DRAINING",
                "start DRAIN", "start CANCEL", "start ABANDON", "start PERSIST", "persist with budget positive",
                "start CLEANUP", "close server", "close pool", "start REPORT", "start EXIT");
        assertThat(events).containsSubsequence("start DRAIN", "worker saw stop", "start CANCEL");
        assertThat(events).containsSubsequence("start DRAIN", "request done", "start CANCEL");
        assertThat(report.toJson()).contains("\"outcome\":\"CLEAN\"").contains("\"phase\":\"CLEANUP\"");
        assertThat(report.toText()).contains("shutdown report: explicit: test");
    }

    @Test
    void awaitStopRequested_wakesAServiceBetweenTicks_whenTheDrainAsksItToStop() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
        assertThat(shutdown.awaitStopRequested(Duration.ZERO)).isFalse(); // nothing asked yet
        var ticking = new CountDownLatch(1);
        var sawStop = new AtomicReference<Boolean>();
        shutdown.fork("ticker", () -> {
            while (!Scope.stopRequested()) {
                ticking.countDown();
                // a tick interval far longer than the grace period: only the stop request can end this wait
                if (shutdown.awaitStopRequested(Duration.ofDays(1))) {
                    sawStop.set(Scope.stopRequested());
                }
            }
        });
        ticking.await();
        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();

        assertThat(sawStop.get()).as("Scope.stopRequested() once awaitStopRequested returned true").isTrue();
        assertThat(report.tasksCancelled()).as("the service returned in the drain, not cancelled").isZero();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(shutdown.awaitStopRequested(Duration.ZERO)).isTrue();
    }

    @Test
    void reportText_putsEachPhaseInColumns() {
        var phases = List.of(
                new ShutdownReport.PhaseTiming(Phase.STOP_ACCEPTING, Duration.ofMillis(3), Duration.ofMillis(1234567),
                        "1 listeners stopped accepting"),
                new ShutdownReport.PhaseTiming(Phase.DRAIN, Duration.ofMillis(12), Duration.ZERO, "drained"));
        var report = new ShutdownReport("explicit: test", "PROGRAMMATIC", java.time.Instant.EPOCH, Duration.ofMillis(20),
                phases, 0, 0, 0, 0, false, List.of(), List.of(), ShutdownReport.Outcome.CLEAN, 0);
        assertThat(report.toText()).contains(
                "  STOP_ACCEPTING  +     3 ms  1234567 ms  1 listeners stopped accepting" + System.lineSeparator()
                        + "  DRAIN           +    12 ms       0 ms  drained" + System.lineSeparator());
    }

    @Test
    void workThatOutlivesTheGrace_isCancelledWithTheShutdownReason_andTheOutcomeIsForced() throws Exception {
        var seen = new AtomicReference<CancelReason>();
        var started = new CountDownLatch(1);
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).gracePeriod(Duration.ofSeconds(15)).start();
            shutdown.fork("slow", () -> {
                started.countDown();
                try {
                    Thread.sleep(Duration.ofDays(1)); // ignores the soft stop, but not the interrupt
                } catch (InterruptedException e) {
                    seen.set(Scope.current().cancelReason().orElseThrow());
                    throw e;
                }
            });
            started.await();
            shutdown.initiate(new CancelReason.Signal("TERM"));
            report = inVirtualTime(clock, shutdown);
        }
        assertThat(report.phase(Phase.DRAIN).orElseThrow().duration()).as("the whole grace, no more")
                .isEqualTo(Duration.ofSeconds(15));
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
        assertThat(report.tasksCancelled()).isEqualTo(1);
        assertThat(report.stragglers()).isEmpty();
        assertThat(seen.get()).isEqualTo(new CancelReason.Signal("TERM"));
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).startsWith("grace period expired");
    }

    @Test
    void aFailedService_startsTheShutdown_withExitCodeOne() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
        shutdown.fork("crashes", () -> {
            throw new IllegalStateException("database unreachable");
        });
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.SERVICE_FAILED);
        assertThat(report.exitCode()).isEqualTo(1);
        assertThat(report.trigger()).isEqualTo("SERVICE_FAILED");
        assertThat(report.reason()).contains("database unreachable");
    }

    @Test
    void escalation_cutsThePreDrainDelayAndGraceShort() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var inReadiness = new CountDownLatch(1);
        Shutdown shutdown = builder(events)
                .platformBudget(Duration.ofMinutes(10))
                .preDrainDelay(Duration.ofMinutes(2))
                .gracePeriod(Duration.ofMinutes(2))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.READINESS) {
                            inReadiness.countDown();
                        }
                    }
                })
                .start();
        shutdown.markReady(); // a pre-drain delay is waited only by a service that became ready
        shutdown.initiate("deploy");
        inReadiness.await();
        shutdown.escalate();
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.escalated()).isTrue();
        assertThat(report.phase(Phase.READINESS).orElseThrow().note()).contains("cut short by escalation");
    }

    @Test
    void exitFromAHook_doesNotDeadlock_andSetsTheExitCode() throws Exception {
        var ref = new AtomicReference<Shutdown>();
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
        ref.set(shutdown);
        shutdown.onCleanup("calls-exit", () -> ref.get().exit(7));
        shutdown.exit(3); // from a normal thread: starts the sequence, returns at once
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.hooks()).singleElement()
                .satisfies(h -> assertThat(h.status()).isEqualTo(ShutdownReport.HookStatus.OK));
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.exitCode()).isEqualTo(7); // the last exit() call wins
    }

    @Test
    void hooksAfterTheirPhase_areRefused_andServicesForkedAfterTheTrigger_neverRun() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
        shutdown.initiate("now");
        shutdown.awaitTermination();
        assertThatThrownBy(() -> shutdown.onCleanup("late", () -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("would never run")
                .hasMessageContaining("close this resource yourself");
        // as a fork into a cancelled StructuredTaskScope: a subtask that never runs, not an exception
        var ran = new java.util.concurrent.atomic.AtomicBoolean();
        Subtask<Object> late = shutdown.fork("late", () -> ran.set(true));
        assertThat(late.state()).isEqualTo(Subtask.State.CANCELLED);
        assertThat(late.cancel()).isFalse();
        assertThat(ran).isFalse();
    }

    @Test
    void aSigtermDuringStartup_theRestOfTheStartupDoesNoHarm_forkDoesNotRun_markReadyIsIgnored() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var inPersist = new CountDownLatch(1);
        var startupDone = new CountDownLatch(1);
        Shutdown shutdown = builder(events).onPhase(new Shutdown.PhaseListener() {
            @Override
            public void started(Phase phase) {
                if (phase == Phase.PERSIST) {
                    inPersist.countDown();
                    try {
                        startupDone.await(); // hold the sequence here while the start-up goes on
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }).start();
        shutdown.initiate(new CancelReason.Signal("TERM")); // arrives in the middle of the start-up
        inPersist.await();

        var ran = new java.util.concurrent.atomic.AtomicBoolean();
        Subtask<Object> worker = shutdown.fork("worker", () -> ran.set(true));
        assertThatThrownBy(() -> shutdown.onPersist("state", budget -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already in phase PERSIST")
                .hasMessageContaining("isShuttingDown()");
        shutdown.onCleanup("pool", () -> events.add("pool closed")); // its phase is still to come: it runs
        assertThat(shutdown.markReady()).isFalse();
        assertThat(shutdown.becameReady()).isFalse();
        startupDone.countDown();

        ShutdownReport report = shutdown.awaitTermination();
        assertThat(worker.state()).isEqualTo(Subtask.State.CANCELLED);
        assertThat(ran).isFalse();
        assertThat(events).contains("pool closed");
        assertThat(shutdown.readiness().get()).isEqualTo(Readiness.State.STOPPED);
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    @Test
    void aHookRegisteredWhileTheSequenceEntersItsPhase_isEitherRunOrRefused_neverDropped() throws Exception {
        int rounds = Integer.getInteger("quiesce.registration.rounds", 100);
        for (int round = 0; round < rounds; round++) {
            var inPersist = new CountDownLatch(1);
            Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).onPhase(new Shutdown.PhaseListener() {
                @Override
                public void started(Phase phase) {
                    if (phase == Phase.PERSIST) {
                        inPersist.countDown(); // CLEANUP starts right after: race it
                    }
                }
            }).start();
            var accepted = new CopyOnWriteArrayList<String>();
            var refused = new java.util.concurrent.atomic.AtomicReference<IllegalStateException>();
            Thread registrar = Thread.ofPlatform().start(() -> {
                try {
                    inPersist.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; ; i++) {
                    String name = "late-" + i;
                    try {
                        shutdown.onCleanup(name, () -> { });
                    } catch (IllegalStateException e) {
                        refused.set(e);
                        return;
                    }
                    accepted.add(name);
                }
            });
            shutdown.initiate("race " + round);
            ShutdownReport report = shutdown.awaitTermination();
            registrar.join();
            assertThat(refused.get()).as("round %d", round).hasMessageContaining("would never run");
            assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::name).as("round %d", round)
                    .containsAll(accepted);
        }
    }

    @Test
    void tenHooksOneHangs_theOtherNineRun_andTheHungOneIsTimedOut_inEveryHookPhase() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(events)
                    .platformBudget(Duration.ofMinutes(1))
                    .stopAcceptingBudget(Duration.ofSeconds(10))
                    .persistBudget(Duration.ofSeconds(10))
                    .cleanupBudget(Duration.ofSeconds(10))
                    .start();
            for (int i = 0; i < 10; i++) {
                String name = "hook-" + i;
                boolean hangs = i == 3;
                shutdown.onStopAccepting(name, () -> hangOr(hangs, events, "listener " + name));
                shutdown.onPersist(name, budget -> hangOr(hangs, events, "persist " + name));
                shutdown.onCleanup(name, () -> hangOr(hangs, events, "cleanup " + name));
            }
            shutdown.markReady();
            shutdown.initiate("test");
            report = inVirtualTime(clock, shutdown);
        }
        for (Phase p : List.of(Phase.STOP_ACCEPTING, Phase.PERSIST, Phase.CLEANUP)) {
            var mine = report.hooks().stream().filter(h -> h.phase() == p).toList();
            assertThat(mine).as(p + ": " + report.toText()).hasSize(10);
            assertThat(mine).filteredOn(h -> h.status() == ShutdownReport.HookStatus.OK).as(p.name()).hasSize(9);
            // the hooks before it took no time: it had the 10 s minus the shares (1 s each) of the hooks after it,
            // six of them, or three in CLEANUP, which runs in reverse order
            Duration budget = Duration.ofSeconds(p == Phase.CLEANUP ? 7 : 4);
            assertThat(mine).filteredOn(h -> h.status() == ShutdownReport.HookStatus.TIMED_OUT).as(p.name())
                    .singleElement().satisfies(h -> {
                        assertThat(h.name()).isEqualTo("hook-3");
                        assertThat(h.duration()).isEqualTo(budget);
                    });
        }
        assertThat(events).filteredOn(e -> e.startsWith("cleanup ")).hasSize(9).contains("cleanup hook-0");
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED);
    }

    /** Regression: the manual clock moved to a hook's timeout while the hook's thread still computed. */
    @Test
    void inVirtualTime_aHookThatComputes_isNotTimedOutByTheClock_whileItRuns() throws Exception {
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
            shutdown.onPersist("computes", budget -> {
                long until = System.nanoTime() + Duration.ofMillis(100).toNanos(); // real CPU work, no clock wait
                while (System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
            }, Duration.ofSeconds(1));
            shutdown.markReady();
            shutdown.initiate("test");
            report = inVirtualTime(clock, shutdown);
        }
        assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::status, ShutdownReport.HookOutcome::duration)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ShutdownReport.HookStatus.OK, Duration.ZERO));
    }

    private static void hangOr(boolean hangs, List<String> events, String event) throws InterruptedException {
        if (hangs) {
            Thread.sleep(Duration.ofDays(1)); // until its budget ends: the runner interrupts and abandons it
        }
        events.add(event);
    }

    @Test
    void aStartThatFailed_waitsNoPreDrainDelay_andKeepsThePreviousState_unlessAHookOptsIn() throws Exception {
        Path stateFile = dir.resolve("state.json");
        Files.writeString(stateFile, "{\"served\":41}"); // what the previous run left
        var sawReady = new AtomicReference<Boolean>();
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>())
                .platformBudget(Duration.ofHours(2))
                .preDrainDelay(Duration.ofHours(1)) // waited, this test would time out
                .start();
        shutdown.onPersist("state", budget -> AtomicFiles.writeString(stateFile, "{\"served\":0}"));
        shutdown.onPersist("wal", budget -> sawReady.set(shutdown.becameReady()), Shutdown.WhenNeverReady.RUN);
        // the start-up fails (or a SIGTERM arrives) before markReady()
        shutdown.initiate(new CancelReason.Signal("TERM"));
        ShutdownReport report = shutdown.awaitTermination();

        assertThat(report.phase(Phase.READINESS).orElseThrow().note())
                .contains("no pre-drain delay: the service never became ready");
        assertThat(Files.readString(stateFile)).isEqualTo("{\"served\":41}");
        assertThat(report.hooks()).filteredOn(h -> h.name().equals("state")).singleElement().satisfies(h -> {
            assertThat(h.status()).isEqualTo(ShutdownReport.HookStatus.SKIPPED);
            assertThat(h.error()).hasValueSatisfying(e -> assertThat(e).contains("never became ready"));
        });
        assertThat(report.hooks()).filteredOn(h -> h.name().equals("wal")).singleElement()
                .satisfies(h -> assertThat(h.status()).isEqualTo(ShutdownReport.HookStatus.OK));
        assertThat(sawReady.get()).isFalse();
        assertThat(report.outcome()).as("a skipped state hook is not a failure").isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    @Test
    void anInterruptDuringThePreDrainDelay_isReportedAsAnInterrupt_notAsEscalation() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>())
                .platformBudget(Duration.ofHours(2))
                .preDrainDelay(Duration.ofHours(1))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.READINESS) {
                            Thread.currentThread().interrupt(); // the shutdown's own thread, about to wait
                        }
                    }
                })
                .start();
        shutdown.markReady();
        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.phase(Phase.READINESS).orElseThrow().note()).contains("interrupted")
                .doesNotContain("escalation");
        assertThat(report.escalated()).isFalse();
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).as("the rest of the sequence is not cut short")
                .startsWith("drained");
    }

    @Test
    void aPersistHookThatHangs_isTimedOut_andCleanupStillRuns() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(events).start();
            shutdown.onPersist("hangs", budget -> Thread.sleep(Duration.ofDays(1)), Duration.ofSeconds(3));
            shutdown.onCleanup("after", () -> events.add("cleanup ran"));
            shutdown.markReady(); // state hooks run only for a service that became ready
            shutdown.initiate("test");
            report = inVirtualTime(clock, shutdown);
        }
        assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::name, ShutdownReport.HookOutcome::status,
                ShutdownReport.HookOutcome::duration).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("hangs", ShutdownReport.HookStatus.TIMED_OUT,
                                Duration.ofSeconds(3)),
                        org.assertj.core.groups.Tuple.tuple("after", ShutdownReport.HookStatus.OK, Duration.ZERO));
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED);
        assertThat(events).contains("cleanup ran");
    }

    @Test
    void servicesRunInTheRootScope_namedByPath() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).name("svc").start();
        Subtask<Object> s = shutdown.fork("job", () -> {
            assertThat(Thread.currentThread().getName()).isEqualTo("/svc/job");
            assertThat(Scope.current().path()).isEqualTo("/svc");
        });
        Threads.awaitDone(s);
        assertThat(s.state()).isEqualTo(Subtask.State.SUCCESS);
        assertThat(shutdown.scope().path()).isEqualTo("/svc");
        shutdown.initiate("done");
        shutdown.awaitTermination();
    }

    @Test
    void phasesAreRecordedAsJfrEvents() throws Exception {
        Path jfr = dir.resolve("shutdown.jfr");
        try (var recording = new Recording()) {
            recording.enable("dev.quiesce.ShutdownPhase");
            recording.enable("dev.quiesce.ScopeCancelled");
            recording.start();
            Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
            shutdown.initiate("jfr");
            shutdown.awaitTermination();
            recording.stop();
            recording.dump(jfr);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        assertThat(events.stream().filter(e -> e.getEventType().getName().equals("dev.quiesce.ShutdownPhase"))
                .map(e -> e.getString("phase")).toList())
                .containsExactly("TRIGGER", "READINESS", "STOP_ACCEPTING", "DRAIN", "CANCEL", "ABANDON", "PERSIST",
                        "CLEANUP", "REPORT");
        assertThat(events).anySatisfy(e -> assertThat(e.getEventType().getName()).isEqualTo("dev.quiesce.ScopeCancelled"));
    }

    /** Small helpers for this package's tests. */
    static final class Threads {
        private Threads() {}

        static void awaitDone(Subtask<?> s) throws InterruptedException {
            while (s.state() == Subtask.State.UNAVAILABLE) {
                Thread.sleep(1);
            }
        }
    }

    @Test
    void aStartingThreadThatDiesOfAnException_startsTheSequence_afterItsOwnHandler() throws Exception {
        var handled = new java.util.concurrent.CopyOnWriteArrayList<String>();
        var started = new java.util.concurrent.atomic.AtomicReference<Shutdown>();
        Thread starter = Thread.ofPlatform().name("starter").unstarted(() -> {
            started.set(Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start());
            throw new IllegalStateException("port in use");
        });
        starter.setUncaughtExceptionHandler((t, e) -> handled.add(t.getName() + ": " + e.getMessage()));
        starter.start();
        starter.join();

        ShutdownReport report = started.get().awaitTermination();
        assertThat(handled).containsExactly("starter: port in use");
        assertThat(report.trigger()).isEqualTo("STARTER_FAILED");
        assertThat(report.reason()).isEqualTo("explicit: thread starter ended with java.lang.IllegalStateException: "
                + "port in use");
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.SERVICE_FAILED);
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void aStartingThreadThatDiesAfterMarkReady_doesNotStopTheService() throws Exception {
        var handled = new java.util.concurrent.CopyOnWriteArrayList<String>();
        var started = new java.util.concurrent.atomic.AtomicReference<Shutdown>();
        var handlerAfterReady = new java.util.concurrent.atomic.AtomicReference<Thread.UncaughtExceptionHandler>();
        Thread.UncaughtExceptionHandler own = (t, e) -> handled.add(t.getName() + ": " + e.getMessage());
        // e.g. a pool thread that started the shutdown, and much later runs a task that throws
        Thread starter = Thread.ofPlatform().name("starter").unstarted(() -> {
            Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
            started.set(shutdown);
            shutdown.markReady();
            handlerAfterReady.set(Thread.currentThread().getUncaughtExceptionHandler());
            throw new IllegalStateException("some later task failed");
        });
        starter.setUncaughtExceptionHandler(own);
        starter.start();
        starter.join(); // the uncaught-exception handler has run on the starter before it ended

        Shutdown shutdown = started.get();
        assertThat(handlerAfterReady.get()).as("the thread's own handler is back at markReady").isSameAs(own);
        assertThat(handled).containsExactly("starter: some later task failed");
        assertThat(shutdown.isShuttingDown()).isFalse();
        shutdown.initiate("done");
        assertThat(shutdown.awaitTermination().outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    @Test
    void theStartingThreadsOwnHandler_isPutBackWhenTheSequenceEnds() throws Exception {
        Thread me = Thread.currentThread();
        Thread.UncaughtExceptionHandler before = me.getUncaughtExceptionHandler();
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        assertThat(me.getUncaughtExceptionHandler()).isNotSameAs(before);
        shutdown.initiate("done");
        assertThat(shutdown.awaitTermination().outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(me.getUncaughtExceptionHandler()).isSameAs(before);
    }
}
