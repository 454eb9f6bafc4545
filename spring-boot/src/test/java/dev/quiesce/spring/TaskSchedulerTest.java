package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.task.TaskRejectedException;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * {@code @Scheduled} runs live in the shutdown's scope tree: at the drain no new run starts, the run in progress gets
 * the soft stop and the drain waits for it; one that ignores it is interrupted at the end of the grace period, and
 * one that ignores the interrupt too is a straggler in the report. Boot's own scheduler backs off.
 */
class TaskSchedulerTest {

    enum Mode { COOPERATIVE, STUBBORN, STRAGGLER }

    static volatile Mode mode = Mode.COOPERATIVE;
    static volatile CountDownLatch held = new CountDownLatch(1);
    /** Lets a straggler go once the test has its report. */
    static volatile CountDownLatch freeStraggler = new CountDownLatch(1);
    static final AtomicInteger RUNS = new AtomicInteger();
    /** Runs that started once the soft stop was requested: must stay 0. */
    static final AtomicInteger LATE_RUNS = new AtomicInteger();
    static volatile String runThread;

    /** Not scanned: only this test adds it. */
    @EnableScheduling
    static class SchedulingConfig {
        @Bean
        Ticker ticker() {
            return new Ticker();
        }
    }

    static class Ticker {
        /** A few quick runs, then one that holds until the shutdown ends it (the way the mode says). */
        @Scheduled(fixedDelay = 10, timeUnit = TimeUnit.MILLISECONDS)
        public void tick() {
            if (Scope.stopRequested()) {
                LATE_RUNS.incrementAndGet();
            }
            runThread = Thread.currentThread().getName();
            if (RUNS.incrementAndGet() < 3) {
                return;
            }
            if (held.getCount() == 0) {
                return; // held once only
            }
            held.countDown();
            switch (mode) {
                case COOPERATIVE -> {
                    try {
                        while (!Scope.stopRequested()) {
                            Thread.sleep(5); // polls the soft stop, as a batch loop between units of work would
                        }
                    } catch (InterruptedException e) {
                        TestApp.EVENTS.add("cooperative-interrupted");
                        return;
                    }
                    TestApp.EVENTS.add("scheduled-stopped");
                }
                case STUBBORN -> {
                    try {
                        Thread.sleep(Duration.ofDays(1));
                    } catch (InterruptedException e) {
                        TestApp.EVENTS.add("scheduled-interrupted");
                    }
                }
                case STRAGGLER -> {
                    boolean free = false;
                    while (!free) {
                        try {
                            free = freeStraggler.await(1, TimeUnit.DAYS);
                        } catch (InterruptedException e) {
                            TestApp.EVENTS.add("straggler-ignored-interrupt"); // and waits on
                        }
                    }
                }
            }
        }
    }

    private static ConfigurableApplicationContext start(Mode m, String... properties) {
        TestApp.reset();
        mode = m;
        held = new CountDownLatch(1);
        freeStraggler = new CountDownLatch(1);
        RUNS.set(0);
        LATE_RUNS.set(0);
        return Apps.builder(properties).sources(SchedulingConfig.class).run();
    }

    @Test
    @Timeout(60)
    void aRunInProgress_getsTheSoftStop_theDrainWaitsForIt_andNoNewRunStarts() throws Exception {
        ConfigurableApplicationContext context = start(Mode.COOPERATIVE, "quiesce.shutdown.grace-period=15s");
        Shutdown shutdown = context.getBean(Shutdown.class);
        TaskScheduler scheduler = context.getBean("taskScheduler", TaskScheduler.class);
        assertThat(scheduler).as("Boot's own scheduler backs off").isInstanceOf(QuiesceTaskScheduler.class);
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(runThread).isEqualTo("/shutdown/scheduled/task-1");

        shutdown.initiate("test");
        // the drain ends when the run has stopped, not at the end of the 15 s grace (the test's timeout is 60 s)
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(TestApp.EVENTS).containsSubsequence("scheduled-stopped", "context-closed");
        assertThat(LATE_RUNS.get()).as("runs started after the soft stop").isZero();
        assertThatThrownBy(() -> scheduler.scheduleWithFixedDelay(() -> { }, Duration.ofSeconds(1)))
                .isInstanceOf(TaskRejectedException.class).hasMessageContaining("shutting down");
    }

    @Test
    @Timeout(60)
    void aRunThatIgnoresTheSoftStop_isInterruptedAtTheEndOfTheGrace_beforeTheContextCloses() throws Exception {
        ConfigurableApplicationContext context = start(Mode.STUBBORN, "quiesce.shutdown.grace-period=500ms");
        Shutdown shutdown = context.getBean(Shutdown.class);
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.FORCED);
        assertThat(report.tasksCancelled()).as(report.toText()).isPositive();
        assertThat(report.stragglers()).as(report.toText()).isEmpty();
        assertThat(TestApp.EVENTS).containsSubsequence("scheduled-interrupted", "context-closed");
        assertThat(LATE_RUNS.get()).as("runs started after the soft stop").isZero();
    }

    @Test
    @Timeout(60)
    void aRunThatIgnoresTheInterruptToo_isAStragglerInTheReport() throws Exception {
        ConfigurableApplicationContext context = start(Mode.STRAGGLER, "quiesce.shutdown.grace-period=300ms",
                "quiesce.shutdown.cancel-grace=300ms");
        Shutdown shutdown = context.getBean(Shutdown.class);
        assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        freeStraggler.countDown();

        assertThat(TestApp.EVENTS).contains("straggler-ignored-interrupt");
        // the run, and the scheduler's service still waiting for it
        assertThat(report.stragglers()).as(report.toText()).anySatisfy(s -> {
            assertThat(s.threadName()).isEqualTo("/shutdown/scheduled/task-1");
            assertThat(s.scopePath()).isEqualTo("/shutdown/scheduled");
        });
    }

    @Test
    @Timeout(60)
    void turnedOff_bootsOwnSchedulerRunsTheSchedules() throws Exception {
        ConfigurableApplicationContext context = start(Mode.STUBBORN, "quiesce.task-scheduler.enabled=false");
        try {
            assertThat(context.getBean("taskScheduler", TaskScheduler.class))
                    .isNotInstanceOf(QuiesceTaskScheduler.class);
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(runThread).as("a thread of Boot's scheduler").doesNotStartWith("/shutdown/");
        } finally {
            context.close(); // Boot's scheduler interrupts (or abandons) the sleeping run
        }
    }
}
