package dev.quiesce.springreadme;

import dev.quiesce.Scope;
import dev.quiesce.spring.OnPersist;
import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * The root README's Spring Boot example is the region {@code readme-spring-boot} below: core's
 * {@code ReadmeExamplesTest} checks that the README's block is this region, {@link SpringBootReadmeTest} runs it. In a
 * package of its own: the other tests' application does not scan it.
 */
final class ReadmeExamples {
    private ReadmeExamples() {}

    /** The example's application class (a class of this file: other files may not name it). */
    static Class<?> orderService() {
        return OrderService.class;
    }
}

// @start region="readme-spring-boot"
@SpringBootApplication
@EnableScheduling
class OrderService {
    private final Outbox outbox;

    OrderService(Outbox outbox) {
        this.outbox = outbox;
    }

    public static void main(String[] args) {
        SpringApplication.run(OrderService.class, args); // SIGTERM: drain, hooks, context close, exit 0
    }

    @Scheduled(fixedDelay = 1_000) // in the scope tree: no new run starts once the drain begins
    void sendOutbox() {
        while (!Scope.stopRequested() && outbox.sendNext()) {
            // one message at a time: the run ends between two when asked to stop
        }
    }

    @OnPersist // after the drain, before the application context closes
    void saveCursor(Duration budget) {
        outbox.saveCursor(budget);
    }
}
// @end
