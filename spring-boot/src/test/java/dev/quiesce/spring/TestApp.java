package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The application the tests start: a held endpoint, and a record of what happened in which order. */
@SpringBootApplication
public class TestApp {

    /** What happened, in order. */
    public static final List<String> EVENTS = new CopyOnWriteArrayList<>();
    /** Counted down when /hold has been entered. */
    public static volatile CountDownLatch entered = new CountDownLatch(1);
    /** /hold answers once this is counted down. */
    public static volatile CountDownLatch release = new CountDownLatch(1);
    /** The path of the Quiesce scope /hold last ran in ("none" outside the scope tree). */
    public static volatile String holdScope = "none";

    static void reset() {
        EVENTS.clear();
        entered = new CountDownLatch(1);
        release = new CountDownLatch(1);
    }

    @RestController
    static class Hold {
        @GetMapping("/hold")
        String hold() throws InterruptedException {
            holdScope = dev.quiesce.Scope.find().map(s -> s.path()).orElse("none");
            entered.countDown();
            try {
                if (!release.await(1, TimeUnit.MINUTES)) {
                    return "never released";
                }
            } catch (InterruptedException e) {
                EVENTS.add("hold-interrupted");
                throw e;
            }
            return "held";
        }

        @GetMapping("/ping")
        String ping() {
            return "pong";
        }
    }

    /** A bean with a cleanup hook of its own and a destroy method. */
    static class Resource implements AutoCloseable {
        Resource(Shutdown shutdown) {
            shutdown.onCleanup("resource", new AutoCloseable() {
                @Override
                public void close() {
                    EVENTS.add("cleanup-hook");
                }
            });
        }

        @Override
        public void close() {
            EVENTS.add("bean-destroyed");
        }
    }

    @Bean
    Resource resource(Shutdown shutdown) {
        return new Resource(shutdown);
    }

    @Bean
    ApplicationListener<AvailabilityChangeEvent<?>> readinessRecorder() {
        return event -> {
            if (event.getState() == ReadinessState.REFUSING_TRAFFIC && !EVENTS.contains("refusing-traffic")) {
                EVENTS.add("refusing-traffic");
            }
        };
    }

    @Bean
    ApplicationListener<ContextClosedEvent> closeRecorder() {
        return event -> EVENTS.add("context-closed");
    }
}
