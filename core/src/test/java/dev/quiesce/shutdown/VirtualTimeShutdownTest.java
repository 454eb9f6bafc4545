package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A 23 s shutdown timeline (pre-drain 5 s, grace 15 s, a hung hook timed out at 3 s) run in virtual time: the
 * phases advance only as the clock does, and the report holds exactly the virtual instants and durations.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class VirtualTimeShutdownTest {
    private static final Duration REAL = SystemClockAfterEach.PATIENCE;

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void theTimeline_advancesOnlyWithTheClock_andTheReportHoldsTheVirtualTimes() throws Exception {
        var clock = new ManualClock();
        var events = new CopyOnWriteArrayList<String>();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = Shutdown.builder()
                    .signals()
                    .exitPolicy(Shutdown.ExitPolicy.RETURN)
                    .platformBudget(s(40))
                    .preDrainDelay(s(5))
                    .gracePeriod(s(15))
                    .start();
            var workerStarted = new CountDownLatch(1);
            shutdown.fork("stubborn-worker", () -> { // ignores the stop request: holds the drain to its end
                workerStarted.countDown();
                Thread.sleep(Duration.ofDays(1));
            });
            shutdown.onStopAccepting("listener", () -> events.add("stop accepting at +" + clock.elapsed()));
            shutdown.onPersist("hangs", budget -> Thread.sleep(Duration.ofDays(1)), s(3));
            shutdown.onPersist("after", budget -> events.add("persist after the hung one at +" + clock.elapsed()));
            shutdown.onCleanup("pool", () -> events.add("close pool at +" + clock.elapsed()));
            shutdown.markReady();
            workerStarted.await();

            shutdown.initiate("test");
            Thread coordinator = clock.awaitWaiter(s(5), REAL); // the pre-drain delay
            assertThat(shutdown.phase()).hasValue(Phase.READINESS);
            assertThat(shutdown.awaitTermination(Duration.ZERO)).isEmpty();

            clock.advance(s(5));
            assertThat(clock.awaitWaiter(s(20), REAL)).isSameAs(coordinator); // the drain, until the grace ends
            assertThat(shutdown.phase()).hasValue(Phase.DRAIN);
            assertThat(shutdown.untilCancel()).hasValue(s(15));
            assertThat(events).containsExactly("stop accepting at +PT5S");

            clock.advance(s(14));
            assertThat(shutdown.untilCancel()).hasValue(s(1));
            assertThat(shutdown.phase()).hasValue(Phase.DRAIN);

            clock.advance(s(1));
            assertThat(clock.awaitWaiter(s(23), REAL)).isSameAs(coordinator); // the hung persist hook's timeout
            assertThat(shutdown.phase()).hasValue(Phase.PERSIST);

            clock.advance(s(3));
            report = shutdown.awaitTermination(); // no more waiting: the rest takes no virtual time
        }

        assertThat(report.startedAt()).isEqualTo(clock.instantAt(Duration.ZERO));
        assertThat(report.total()).isEqualTo(s(23));
        assertThat(report.phases()).extracting(ShutdownReport.PhaseTiming::phase, ShutdownReport.PhaseTiming::startOffset,
                ShutdownReport.PhaseTiming::duration).containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Phase.TRIGGER, s(0), s(0)),
                        org.assertj.core.groups.Tuple.tuple(Phase.READINESS, s(0), s(5)),
                        org.assertj.core.groups.Tuple.tuple(Phase.STOP_ACCEPTING, s(5), s(0)),
                        org.assertj.core.groups.Tuple.tuple(Phase.DRAIN, s(5), s(15)),
                        org.assertj.core.groups.Tuple.tuple(Phase.CANCEL, s(20), s(0)),
                        org.assertj.core.groups.Tuple.tuple(Phase.ABANDON, s(20), s(0)),
                        org.assertj.core.groups.Tuple.tuple(Phase.PERSIST, s(20), s(3)),
                        org.assertj.core.groups.Tuple.tuple(Phase.CLEANUP, s(23), s(0)),
                        org.assertj.core.groups.Tuple.tuple(Phase.REPORT, s(23), s(0)));
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).startsWith("grace period expired");
        assertThat(report.hooks()).extracting(ShutdownReport.HookOutcome::name, ShutdownReport.HookOutcome::status,
                ShutdownReport.HookOutcome::duration).contains(
                        org.assertj.core.groups.Tuple.tuple("hangs", ShutdownReport.HookStatus.TIMED_OUT, s(3)),
                        org.assertj.core.groups.Tuple.tuple("after", ShutdownReport.HookStatus.OK, s(0)));
        assertThat(report.tasksCancelled()).isEqualTo(1);
        assertThat(events).isEqualTo(List.of("stop accepting at +PT5S", "persist after the hung one at +PT23S",
                "close pool at +PT23S"));
    }
}
