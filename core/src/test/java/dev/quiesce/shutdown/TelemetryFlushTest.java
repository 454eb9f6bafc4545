package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.groups.Tuple.tuple;

import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import dev.quiesce.internal.Uninterruptibles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The reserved telemetry flush ({@link Shutdown.Builder#telemetryFlush}): a slice of the budget the earlier
 * phases cannot use, in which the flush hooks run after the report and before the exit, also when the drain
 * ran over. Timed in virtual time: the report holds the exact virtual instants.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class TelemetryFlushTest {
    private static final Duration REAL = SystemClockAfterEach.PATIENCE;

    @Test
    void aDrainThatRanOver_leavesTheFlushItsWholeSlice_beforeTheExit() throws Exception {
        var clock = new ManualClock();
        var events = new CopyOnWriteArrayList<String>();
        var release = new CountDownLatch(1);
        ShutdownReport report;
        List<ShutdownReport> reported = new CopyOnWriteArrayList<>();
        try (var _ = clock.install()) {
            // 40 s platform budget, 12 s margin: 28 s for the sequence, of which the last 2 s are the flush's
            Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                    .platformBudget(ofSeconds(40)).margin(ofSeconds(12)).gracePeriod(ofSeconds(15)).telemetryFlush(ofSeconds(2))
                    .onPhase(new Shutdown.PhaseListener() {
                        @Override
                        public void started(Phase phase) {
                            events.add("start " + phase);
                            if (phase == Phase.DRAIN) { // a slow listener: the drain starts 12 s late
                                awaitVirtually(Duration.ofSeconds(12));
                            }
                        }

                        @Override
                        public void reported(ShutdownReport r) {
                            events.add("reported");
                            reported.add(r);
                        }
                    })
                    .start();
            var workerStarted = new CountDownLatch(1);
            shutdown.fork("stubborn-worker", () -> { // ignores the soft stop and the interrupt: a straggler
                workerStarted.countDown();
                Uninterruptibles.await(release);
            });
            shutdown.onCleanup("pool", () -> events.add("close pool"));
            shutdown.onTelemetryFlush("exporter", () -> events.add("flush exporter at +" + clock.elapsed()
                    + ", remaining " + shutdown.remaining()));
            shutdown.onTelemetryFlush("stuck", () -> Thread.sleep(Duration.ofDays(1)));
            shutdown.markReady();
            workerStarted.await();
            assertThat(shutdown.remaining()).as("the slice is not the phases'").isEqualTo(ofSeconds(26));

            shutdown.initiate("test");
            Thread coordinator = clock.awaitWaiter(ofSeconds(12), REAL); // the slow listener
            clock.advance(ofSeconds(12));
            // the drain would end at +27 (12 + 15): it ends where the flush's slice begins
            assertThat(clock.awaitWaiter(ofSeconds(26), REAL)).isSameAs(coordinator);
            assertThat(shutdown.phase()).hasValue(Phase.DRAIN);
            clock.advance(ofSeconds(14));
            clock.awaitWaiter(ofSeconds(28), REAL); // the stuck flush hook, timed out at the end of the slice
            assertThat(shutdown.phase()).hasValue(Phase.TELEMETRY_FLUSH);
            clock.advance(ofSeconds(2));
            report = shutdown.awaitTermination();
        } finally {
            release.countDown();
        }

        // each phase as "PHASE +start duration", in seconds of the clock's time
        assertThat(report.phases()).extracting(t -> t.phase() + " +" + t.startOffset().toSeconds() + " "
                + t.duration().toSeconds()).containsExactly("TRIGGER +0 0", "READINESS +0 0", "STOP_ACCEPTING +0 0",
                        "DRAIN +0 26", "CANCEL +26 0", "ABANDON +26 0", "PERSIST +26 0", "CLEANUP +26 0", "REPORT +26 0",
                        "TELEMETRY_FLUSH +26 2");
        assertThat(report.total()).isEqualTo(ofSeconds(28)).isEqualTo(ofSeconds(40).minus(ofSeconds(12)));
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).startsWith("grace period expired");
        assertThat(report.phase(Phase.TELEMETRY_FLUSH).orElseThrow().note())
                .isEqualTo("2 telemetry flushes in a slice of 2000 ms, 1 ok");
        assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::phase, ShutdownReport.HookOutcome::name,
                ShutdownReport.HookOutcome::status, ShutdownReport.HookOutcome::duration).containsExactly(
                        tuple(Phase.CLEANUP, "pool", ShutdownReport.HookStatus.SKIPPED, ofSeconds(0)),
                        tuple(Phase.TELEMETRY_FLUSH, "exporter", ShutdownReport.HookStatus.OK, ofSeconds(0)),
                        tuple(Phase.TELEMETRY_FLUSH, "stuck", ShutdownReport.HookStatus.TIMED_OUT, ofSeconds(2)));
        // the flush came after the report the listeners were told, and before the exit
        assertThat(events).containsSubsequence("start REPORT", "reported", "start TELEMETRY_FLUSH",
                "flush exporter at +PT26S, remaining PT2S", "start EXIT").doesNotContain("close pool");
        assertThat(reported).singleElement().satisfies(r -> {
            assertThat(r.phase(Phase.TELEMETRY_FLUSH)).isEmpty();
            assertThat(r.outcome()).isEqualTo(report.outcome());
        });
        // the stuck flush hook does not change the outcome: the drain ran over, so it is FORCED
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
        assertThat(report.exitCode()).isEqualTo(ShutdownReport.Outcome.FORCED.exitCode());
        assertThat(report.toJson()).contains("\"phase\":\"TELEMETRY_FLUSH\"");
    }

    @Test
    void aRequestedDrainThatNoTriggerFollows_holdsOnlyUntilTheRestOfTheSequenceAndTheFlushStillFit() throws Exception {
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            // 28 s for the sequence, the last 2 s the flush's: the phases end at +26; cancel grace, persist and
            // cleanup need 3 s of them, so the hold after a requested drain ends at +23 (not at +25)
            Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                    .platformBudget(ofSeconds(40)).margin(ofSeconds(12)).gracePeriod(ofSeconds(15))
                    .preDrainDelay(Duration.ZERO).cancelGrace(ofSeconds(1)).persistBudget(ofSeconds(1))
                    .cleanupBudget(ofSeconds(1)).telemetryFlush(ofSeconds(2)).start();
            shutdown.onTelemetryFlush("exporter", () -> { });
            shutdown.markReady();
            assertThat(shutdown.drain().complete()).as("nothing in flight: the drain is complete at once").isTrue();
            clock.awaitWaiter(ofSeconds(23), REAL); // the hold, waiting for a trigger that does not come
            clock.advance(ofSeconds(23));
            report = shutdown.awaitTermination();
        }
        assertThat(report.phase(Phase.CANCEL).orElseThrow().startOffset()).isEqualTo(ofSeconds(23));
        assertThat(report.phase(Phase.TELEMETRY_FLUSH)).isPresent();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
    }

    /** Waits {@code d} of the installed clock's time (virtual under a test clock). */
    private static void awaitVirtually(Duration d) {
        try {
            ShutdownTime.await(new CountDownLatch(1), d.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void withoutASlice_thereIsNoFlushPhase_andAFlushHookIsRefused_sayingWhatToConfigure() throws Exception {
        Shutdown s = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        try {
            assertThatThrownBy(() -> s.onTelemetryFlush("exporter", () -> { }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("telemetryFlush(Duration.ofSeconds(2))");
        } finally {
            s.initiate("test over");
        }
        assertThat(s.awaitTermination().phase(Phase.TELEMETRY_FLUSH)).isEmpty();
    }

    @Test
    void aFlushHook_isRefusedOnceTheFlushHasBegun() throws Exception {
        var refusal = new CopyOnWriteArrayList<Throwable>();
        Shutdown[] holder = new Shutdown[1];
        Shutdown s = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).telemetryFlush(ofSeconds(1))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.TELEMETRY_FLUSH) {
                            try {
                                holder[0].onTelemetryFlush("late", () -> { });
                            } catch (IllegalStateException e) {
                                refusal.add(e);
                            }
                        }
                    }
                }).start();
        holder[0] = s;
        s.initiate("test");
        ShutdownReport report = s.awaitTermination();
        assertThat(refusal).singleElement().extracting(Throwable::getMessage).asString()
                .contains("already in phase TELEMETRY_FLUSH");
        assertThat(report.phase(Phase.TELEMETRY_FLUSH).orElseThrow().note())
                .isEqualTo("0 telemetry flushes in a slice of 1000 ms, 0 ok");
    }

    @Test
    void theBudgetCheck_countsTheSlice_andNamesTheSettingToChange() {
        // the defaults need 26 s of the 28 s a 30 s budget with a 2 s margin leaves: a 3 s flush is 1 s too many
        assertThatThrownBy(() -> Shutdown.builder().signals().telemetryFlush(ofSeconds(3)).check())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("need 29000 ms")
                .hasMessageContaining("+ telemetryFlush 3000 ms")
                .hasMessageContaining("by at least 1000 ms");
        assertThatThrownBy(() -> Shutdown.builder().signals().gracePeriod(ofSeconds(5)).telemetryFlush(ofSeconds(20)).check())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shorten telemetryFlush (20000 ms, the longest phase) by at least 8000 ms");
        assertThatThrownBy(() -> Shutdown.builder().signals().telemetryFlush(ofSeconds(-1)).check())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("telemetry flush must not be negative");
        assertThat(Shutdown.builder().signals().telemetryFlush(ofSeconds(2)).check()).contains("telemetry flush 2000 ms");
    }

    /** Between the flush's start and the exit, the sequence loads no class (see {@link FlushProbe}). */
    @Test
    void theFlush_loadsNoClassAfterTheTrigger() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:stdout:none", "-cp", System.getProperty("java.class.path"),
                FlushProbe.class.getName()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("probe exit code; output:\n%s", out).isZero();
        List<String> lines = out.lines().toList();
        int from = lines.indexOf(FlushProbe.FLUSH);
        int to = lines.indexOf(FlushProbe.EXIT);
        assertThat(from).as("probe output:\n%s", out).isNotNegative();
        assertThat(to).as("probe output:\n%s", out).isGreaterThan(from);
        assertThat(lines).contains(FlushProbe.FLUSHED);
        assertThat(lines.subList(from + 1, to)).as("classes loaded by the flush, the report and the log")
                .containsOnly(FlushProbe.FLUSHED);
    }
}
