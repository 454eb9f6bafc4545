package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.core.task.TaskRejectedException;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * {@code @Async} tasks run in the shutdown's scope tree: they get the soft stop first and the drain waits for them;
 * one that ignores it is interrupted at the end of the grace period, before the context closes.
 */
class TaskExecutorTest {

    static volatile CountDownLatch started = new CountDownLatch(2);
    static volatile String cooperativeThread;

    /** Not scanned: only this test adds it. */
    @EnableAsync
    static class AsyncConfig {
        @Bean
        Jobs jobs() {
            return new Jobs();
        }
    }

    static class Jobs {
        /** Ends when asked to stop. */
        @Async
        public void cooperative() throws InterruptedException {
            cooperativeThread = Thread.currentThread().getName();
            started.countDown();
            while (!Scope.stopRequested()) {
                Thread.sleep(5); // polls the soft stop, as a batch loop between units of work would
            }
            TestApp.EVENTS.add("cooperative-stopped");
        }

        /** Ignores the soft stop; ends only when interrupted. */
        @Async
        public void stubborn() {
            started.countDown();
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException e) {
                TestApp.EVENTS.add("stubborn-interrupted");
            }
        }
    }

    private static ConfigurableApplicationContext start(String grace, int tasks) {
        TestApp.reset();
        started = new CountDownLatch(tasks);
        return Apps.builder("quiesce.shutdown.grace-period=" + grace).sources(AsyncConfig.class).run();
    }

    @Test
    @Timeout(60)
    void asyncTasks_getTheSoftStopFirst_andAreInterruptedAtTheEndOfTheGrace_beforeTheContextCloses() throws Exception {
        ConfigurableApplicationContext context = start("500ms", 2);
        Shutdown shutdown = context.getBean(Shutdown.class);
        AsyncTaskExecutor executor = context.getBean("applicationTaskExecutor", AsyncTaskExecutor.class);
        assertThat(executor).isInstanceOf(QuiesceTaskExecutor.class);
        Jobs jobs = context.getBean(Jobs.class);
        jobs.cooperative();
        jobs.stubborn();
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(cooperativeThread).isEqualTo("/shutdown/async/task-1");

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

        assertThat(TestApp.EVENTS).containsSubsequence("cooperative-stopped", "stubborn-interrupted", "context-closed");
        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.FORCED);
        assertThatThrownBy(() -> executor.execute(() -> { })).isInstanceOf(TaskRejectedException.class)
                .hasMessageContaining("shutting down");
    }

    @Test
    @Timeout(60)
    void aTaskThatStopsWhenAsked_endsTheDrainClean_beforeALongGraceEnds() throws Exception {
        ConfigurableApplicationContext context = start("15s", 1);
        Shutdown shutdown = context.getBean(Shutdown.class);
        context.getBean(Jobs.class).cooperative();
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();

        shutdown.initiate("test");
        // the drain ends when the task has stopped, not at the end of the 15 s grace (the test's timeout is 60 s)
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(TestApp.EVENTS).containsSubsequence("cooperative-stopped", "context-closed");
    }
}
