package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Phase;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.shutdown.ShutdownReport.HookOutcome;
import dev.quiesce.shutdown.ShutdownReport.HookStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The three examples, rehearsed on a small service's real shutdown, and a TERM, a second TERM and a
 * HUP sent in-process; each assertion also fails on a service that gets it wrong (the mutation-style negatives).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@QuiesceLeakCheck
class ShutdownRehearsalTest {

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    /** A service with a database pool and requests; {@code closePoolEarly} is the bug: it closes the pool first. */
    static final class Service {
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch requestStarted = new CountDownLatch(1);
        final CountDownLatch finishRequest = new CountDownLatch(1);
        private final boolean closePoolEarly;

        Service(boolean closePoolEarly) {
            this.closePoolEarly = closePoolEarly;
        }

        void wire(Shutdown shutdown) {
            AutoCloseable pool = () -> events.add("db pool closed");
            if (closePoolEarly) {
                shutdown.onStopAccepting("db-pool", pool::close);
            } else {
                shutdown.onCleanup("db-pool", pool);
            }
            InFlightTracker requests = shutdown.inFlight();
            Thread.ofVirtual().name("request-1").start(() -> {
                try (var _ = requests.enter()) {
                    requestStarted.countDown();
                    finishRequest.await();
                    events.add("last request done");
                } catch (InterruptedException e) {
                    events.add("request interrupted");
                }
            });
        }
    }

    private static void assertThePoolClosedAfterTheLastRequest(List<String> events) {
        assertThat(events).as("what the service did, in order")
                .containsSubsequence("last request done", "db pool closed");
    }

    private static List<String> rehearse(Service service) throws Exception {
        try (var rehearsal = ShutdownRehearsal.start(Shutdown.builder().preDrainDelay(Duration.ZERO)
                .gracePeriod(s(15)), service::wire)) {
            service.requestStarted.await();
            rehearsal.sendTerm();
            awaitTrue(() -> rehearsal.shutdown().phase().orElse(Phase.TRIGGER).compareTo(Phase.STOP_ACCEPTING) > 0);
            service.finishRequest.countDown(); // the request ends during the drain
            ShutdownRehearsal.Result result = rehearsal.awaitResult();
            assertThat(result.exitCode()).isZero();
            assertThat(result.report().outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        }
        return service.events;
    }

    @Test
    void theDbPoolClosedAfterTheLastRequest() throws Exception {
        assertThePoolClosedAfterTheLastRequest(rehearse(new Service(false)));
    }

    @Test
    void aServiceThatClosesItsPoolBeforeTheDrain_failsTheSameAssertion() throws Exception {
        List<String> events = rehearse(new Service(true));
        assertThatThrownBy(() -> assertThePoolClosedAfterTheLastRequest(events)).isInstanceOf(AssertionError.class);
        assertThat(events).containsExactly("db pool closed", "last request done");
    }

    @Test
    void thePersistHookSawAtLeastTwoSecondsOfBudget_inVirtualTime_evenAfterTheWholeGracePeriod() throws Exception {
        var seen = new AtomicReference<Duration>();
        var clock = new VirtualClock();
        // @start region=rehearsal
        ShutdownRehearsal.Result result;
        try (var _ = clock.install();
                var rehearsal = ShutdownRehearsal.start(clock, Shutdown.builder().platformBudget(s(33))
                        .preDrainDelay(s(5)).gracePeriod(s(15)), shutdown -> {
                            shutdown.fork("stubborn-consumer", () -> Thread.sleep(Duration.ofDays(1)));
                            shutdown.onPersist("persist", seen::set);
                        })) {
            result = rehearsal.term(); // 20 s of pre-drain and grace, in virtual time
        }
        assertThat(seen.get()).isGreaterThanOrEqualTo(s(2));
        assertThat(result.exitCode()).isEqualTo(2); // FORCED: the consumer had to be cancelled
        // @end
        assertThat(result.report().phase(Phase.PERSIST).orElseThrow().startOffset()).isEqualTo(s(20));
        assertThat(seen.get()).isEqualTo(s(4)); // the default persist budget, untouched by the grace period
    }

    @Test
    void aPersistHookWithTooLittleBudget_failsTheSameAssertion() throws Exception {
        var seen = new AtomicReference<Duration>();
        termInVirtualTime(Shutdown.builder(), shutdown -> shutdown.onPersist("persist", seen::set, s(1)));
        assertThatThrownBy(() -> assertThat(seen.get()).isGreaterThanOrEqualTo(s(2))).isInstanceOf(AssertionError.class);
    }

    @Test
    void aHungHookDidNotSkipTheOthers() throws Exception {
        var ran = new CopyOnWriteArrayList<String>();
        ShutdownRehearsal.Result result = termInVirtualTime(Shutdown.builder(), shutdown -> {
            shutdown.onPersist("hung", budget -> Thread.sleep(Duration.ofDays(1)), s(2));
            shutdown.onPersist("orders", budget -> ran.add("orders"));
            shutdown.onCleanup("cache", () -> ran.add("cache"));
        });
        assertThat(result.report().hooks()).extracting(HookOutcome::name, HookOutcome::status, HookOutcome::duration)
                .containsExactly(
                        tuple("hung", HookStatus.TIMED_OUT, s(2)),
                        tuple("orders", HookStatus.OK, Duration.ZERO),
                        tuple("cache", HookStatus.OK, Duration.ZERO));
        assertThat(ran).containsExactly("orders", "cache");
        assertThat(result.exitCode()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED.exitCode());
    }

    @Test
    void aSecondTerm_cutsTheGracePeriodShort_andTheReportSaysItEscalated() throws Exception {
        var stubbornStarted = new CountDownLatch(1);
        try (var rehearsal = ShutdownRehearsal.start(Shutdown.builder().preDrainDelay(s(10)).gracePeriod(s(60))
                .platformBudget(s(90)), shutdown -> shutdown.fork("stubborn", () -> {
                    stubbornStarted.countDown();
                    Thread.sleep(Duration.ofDays(1));
                }))) {
            stubbornStarted.await();
            rehearsal.sendTerm();
            ShutdownRehearsal.Result result = rehearsal.secondTerm(); // in real time: returns only if escalated
            assertThat(result.report().escalated()).isTrue();
            assertThat(result.report().tasksCancelled()).isEqualTo(1);
            assertThat(result.exitCode()).isEqualTo(ShutdownReport.Outcome.FORCED.exitCode());
        }
    }

    @Test
    void hup_runsTheReloadHooks_andTheServiceKeepsServing() throws Exception {
        var reloads = new AtomicInteger();
        try (var rehearsal = ShutdownRehearsal.start(Shutdown.builder(),
                shutdown -> shutdown.onReload("config", reloads::incrementAndGet))) {
            rehearsal.hup();
            rehearsal.hup();
            assertThat(reloads).hasValue(2);
            assertThat(rehearsal.shutdown().isShuttingDown()).isFalse();
            assertThat(rehearsal.term().report().reason()).contains("TERM");
        }
    }

    @Test
    void closingARehearsalTheTestDidNotEnd_endsItsShutdown_andAwaitWithoutATermSaysWhatToDo() throws Exception {
        Shutdown shutdown;
        try (var rehearsal = ShutdownRehearsal.start(Shutdown.builder().gracePeriod(s(60)).platformBudget(s(90)),
                s -> s.fork("worker", () -> Thread.sleep(Duration.ofDays(1))))) {
            shutdown = rehearsal.shutdown();
            assertThatThrownBy(rehearsal::awaitResult).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("term()");
        }
        Optional<ShutdownReport> report = shutdown.report();
        assertThat(report).isPresent();
        assertThat(report.orElseThrow().escalated()).isTrue();
    }

    /** Rehearses a TERM of {@code builder}'s shutdown, wired by {@code wiring}, in virtual time. */
    private static ShutdownRehearsal.Result termInVirtualTime(Shutdown.Builder builder, Consumer<Shutdown> wiring)
            throws InterruptedException {
        var clock = new VirtualClock();
        try (var _ = clock.install(); var rehearsal = ShutdownRehearsal.start(clock, builder, wiring)) {
            return rehearsal.term();
        }
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not reached within 20 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
