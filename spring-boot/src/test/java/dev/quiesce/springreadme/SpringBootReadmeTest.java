package dev.quiesce.springreadme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** Runs the root README's Spring Boot example ({@code readme-spring-boot}) without signals and without exiting. */
class SpringBootReadmeTest {

    @Test
    @Timeout(60)
    void theExample_sendsInTheScopeTree_andSavesItsCursorAfterTheDrain() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ReadmeExamples.orderService())
                .properties("server.port=0", "quiesce.shutdown.signals=", "quiesce.shutdown.exit-policy=RETURN",
                        "quiesce.shutdown.pre-drain-delay=0s", "spring.main.banner-mode=off")
                .run();
        Shutdown shutdown = context.getBean(Shutdown.class);
        Outbox outbox = context.getBean(Outbox.class);
        Threads.awaitSent(outbox);
        assertThat(outbox.sendThread).isEqualTo("/shutdown/scheduled/task-1");

        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.outcome()).as(report.toText()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.exitCode()).isZero();
        assertThat(outbox.events).containsExactly("sent", "cursor-saved");
        assertThat(context.isActive()).isFalse();
    }

    private static final class Threads {
        static void awaitSent(Outbox outbox) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!outbox.events.contains("sent")) { // observed state: the first run has sent
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the scheduled run never sent");
                }
                Thread.sleep(5);
            }
        }
    }
}
