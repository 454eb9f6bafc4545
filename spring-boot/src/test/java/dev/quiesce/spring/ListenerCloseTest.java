package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import dev.quiesce.spring.tomcat.QuiesceHttp11NioProtocol;
import java.net.Socket;
import java.time.Duration;
import org.apache.catalina.connector.Connector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Tomcat ingress closes its listener with the acceptor still accepting (the starter's protocol), tells kept-alive
 * clients to leave only once it is closed, and keeps the connections up a short grace after the close, so a client
 * whose last response was keep-alive gets its next request answered (with {@code Connection: close}), not reset.
 */
class ListenerCloseTest {

    @Test
    @Timeout(60)
    void aKeptAliveClient_sendingItsNextRequestOnceTheListenerIsClosed_isAnsweredWithConnectionClose() throws Exception {
        ConfigurableApplicationContext context = Apps.run("quiesce.shutdown.pre-drain-delay=0s");
        Shutdown shutdown = context.getBean(Shutdown.class);
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        Connector[] connectors = ((TomcatWebServer) ((WebServerApplicationContext) context).getWebServer()).getTomcat()
                .getService().findConnectors();
        assertThat(connectors).singleElement().satisfies(c -> assertThat(c.getProtocolHandler())
                .as("Tomcat's default protocol is replaced by the starter's").isInstanceOf(QuiesceHttp11NioProtocol.class));
        try (Socket kept = Http.connect(port)) {
            Http.send(kept, "/ping");
            assertThat(Http.read(kept)).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");

            shutdown.initiate("test");
            Http.awaitTrue("the listener refuses new connections", () -> Http.refused(port));
            Http.send(kept, "/ping"); // nothing in flight now: the drain would be over at once
            assertThat(Http.read(kept)).as("the next request on the kept-alive connection is answered, and told to leave")
                    .startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close").endsWith("pong");
        }
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        assertThat(report.ingresses()).singleElement().satisfies(i -> {
            assertThat(i.accepted()).as("the close grace's hold on the count is not a request").isEqualTo(2);
            assertThat(i.completed()).isEqualTo(2);
            assertThat(i.inFlight()).isZero();
        });
    }
}
