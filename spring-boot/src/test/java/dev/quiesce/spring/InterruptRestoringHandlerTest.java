package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A cancelled handler that does what Java asks of code that cannot finish its work (restores the interrupt status and
 * throws) is still answered 503: the interrupt status must not close the connection under the 503 being written.
 */
class InterruptRestoringHandlerTest {
    static final CountDownLatch ENTERED = new CountDownLatch(1);

    /** Not a scanned component: only this test adds it. */
    @RestController
    static class Restoring {
        @GetMapping("/restoring")
        String restoring() throws IOException {
            ENTERED.countDown();
            try {
                new CountDownLatch(1).await(); // until the CANCEL phase interrupts it
                return "never";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("cancelled");
            }
        }
    }

    @Test
    @Timeout(60)
    void aHandlerThatRestoresTheInterruptAndThrows_isAnswered503_notAnEmptyReply() throws Exception {
        ConfigurableApplicationContext context = Apps.builder("quiesce.shutdown.grace-period=200ms")
                .sources(Restoring.class).run();
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        try (Socket held = Http.connect(port)) {
            Http.send(held, "/restoring");
            assertThat(ENTERED.await(30, TimeUnit.SECONDS)).isTrue();
            Shutdown shutdown = context.getBean(Shutdown.class);
            shutdown.initiate("test");
            assertThat(Http.read(held)).as("answered 503, never dropped").startsWith("HTTP/1.1 503")
                    .containsIgnoringCase("connection: close").contains("shutting down");
            shutdown.awaitTermination();
        }
    }
}
