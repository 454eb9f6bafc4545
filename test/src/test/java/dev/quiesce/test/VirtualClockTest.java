package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.quiesce.CancelReason;
import dev.quiesce.DeadlineExceededException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.shutdown.ShutdownReport.HookOutcome;
import dev.quiesce.shutdown.ShutdownReport.HookStatus;
import dev.quiesce.shutdown.ShutdownReport.PhaseTiming;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Quiesce's time in the test's hands: a 30 s shutdown timeline and an hour's deadline, in virtual time. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@QuiesceLeakCheck
class VirtualClockTest {
    private static final Duration REAL = Duration.ofSeconds(10);

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void aThirtySecondShutdownBudget_runsThroughInVirtualTime_andTheRecordedPhaseInstantsAreExact() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        // @start region=timeline
        var clock = new VirtualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            // phases of 5 + 1 + 15 + 1 + 4 + 2 = 28 s: the platform budget less its 2 s margin
            Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                    .platformBudget(s(30)).preDrainDelay(s(5)).gracePeriod(s(15))
                    .cancelGrace(s(1)).cleanupBudget(s(2)).start();
            shutdown.onCleanup("stuck-pool", () -> Thread.sleep(Duration.ofDays(1)), s(2));
            shutdown.onCleanup("pool", () -> events.add("close pool at +" + clock.elapsed()));
            shutdown.onPersist("hangs", budget -> Thread.sleep(Duration.ofDays(1)), s(3));
            shutdown.onPersist("state", budget -> events.add("persist at +" + clock.elapsed()));
            shutdown.onStopAccepting("listener", () -> events.add("stop accepting at +" + clock.elapsed()));
            // a worker that ignores the stop request holds the drain to the end of the grace period
            shutdown.fork("stubborn-worker", () -> Thread.sleep(Duration.ofDays(1)));
            shutdown.markReady();

            shutdown.initiate("test");
            clock.awaitWaiter(s(5), REAL); // the coordinator waits out the pre-drain delay
            clock.runUntilIdle();          // pre-drain, grace, both hook timeouts: each step exactly on time
            report = shutdown.awaitTermination(Duration.ZERO).orElseThrow();
        }
        assertThat(report.startedAt()).isEqualTo(clock.instantAt(Duration.ZERO));
        assertThat(report.total()).isEqualTo(s(25));
        // @end
        assertThat(report.phases()).extracting(PhaseTiming::phase, PhaseTiming::startOffset, PhaseTiming::duration)
                .containsExactly(
                        tuple(Phase.TRIGGER, s(0), s(0)),
                        tuple(Phase.READINESS, s(0), s(5)),
                        tuple(Phase.STOP_ACCEPTING, s(5), s(0)),
                        tuple(Phase.DRAIN, s(5), s(15)),
                        tuple(Phase.CANCEL, s(20), s(0)),
                        tuple(Phase.ABANDON, s(20), s(0)),
                        tuple(Phase.PERSIST, s(20), s(3)),
                        tuple(Phase.CLEANUP, s(23), s(2)),
                        tuple(Phase.REPORT, s(25), s(0)));
        assertThat(report.hooks()).extracting(HookOutcome::name, HookOutcome::status, HookOutcome::duration)
                .contains(
                        tuple("hangs", HookStatus.TIMED_OUT, s(3)),
                        tuple("state", HookStatus.OK, s(0)),
                        tuple("stuck-pool", HookStatus.TIMED_OUT, s(2)),
                        tuple("pool", HookStatus.OK, s(0)));
        // cleanup closes in reverse order of registration: the pool first, then the stuck one times out at +25 s
        assertThat(events).isEqualTo(List.of("stop accepting at +PT5S", "persist at +PT23S", "close pool at +PT23S"));
    }

    @Test
    void anHourDeadline_firesWhenRunUntilIdleReachesIt_atExactlyTheDeadline() throws Exception {
        var clock = new VirtualClock();
        Throwable outcome;
        try (var _ = clock.install()) {
            var joined = new FutureTask<Throwable>(VirtualClockTest::joinAScopeThatTimesOutInAnHour);
            Thread.ofVirtual().name("owner").start(joined);
            clock.awaitWaiter(Duration.ofHours(1), REAL);
            clock.runUntilIdle();
            outcome = joined.get(REAL.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(clock.elapsed()).isEqualTo(Duration.ofHours(1));
        assertThat(outcome).isInstanceOfSatisfying(DeadlineExceededException.class, e -> assertThat(e.reason())
                .isInstanceOfSatisfying(CancelReason.Deadline.class,
                        d -> assertThat(d.deadline()).isEqualTo(clock.instantAt(Duration.ofHours(1)))));
    }

    private static Throwable joinAScopeThatTimesOutInAnHour() throws InterruptedException {
        try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("hour").withTimeout(Duration.ofHours(1)))) {
            scope.fork(() -> {
                Thread.sleep(Duration.ofDays(1));
                return null;
            });
            scope.join();
            return null;
        } catch (DeadlineExceededException e) {
            return e;
        }
    }

    @Test
    void runUntilIdle_onALoopThatNeverIdles_failsSayingWhatKeepsItBusy() throws Exception {
        var clock = new VirtualClock();
        var stop = new CountDownLatch(1);
        try (var _ = clock.install()) {
            Thread ticker = Thread.ofPlatform().name("ticker").start(() -> {
                try (var scope = Scope.open(Joiner.awaitAll(), c -> c.withName("ticking"))) {
                    while (stop.getCount() > 0) { // waits on the clock a second at a time, forever
                        try (var tick = Scope.open(Joiner.awaitAll(), c -> c.withTimeout(s(1)))) {
                            tick.fork(() -> {
                                Thread.sleep(Duration.ofDays(1));
                                return null;
                            });
                            tick.join();
                        } catch (DeadlineExceededException expected) {
                            // the tick
                        }
                    }
                    scope.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            clock.awaitWaiter(s(1), REAL);
            assertThatThrownBy(() -> clock.runUntilIdle(20)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("did not become idle after 20 advances")
                    .hasMessageContaining("ticker")
                    .hasMessageContaining("advance(Duration)");
            stop.countDown();
            clock.advance(s(1));
            assertThat(ticker.join(REAL)).isTrue();
        }
    }

    @Test
    void advance_backwards_isRefusedWithWhatToDo() {
        assertThatThrownBy(() -> new VirtualClock().advance(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("forward only");
    }
}
