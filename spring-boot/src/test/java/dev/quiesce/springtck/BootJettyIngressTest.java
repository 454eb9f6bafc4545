package dev.quiesce.springtck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.spring.jetty.QuiesceJettyServer;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Tag;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The embedded Jetty of a Boot application (Tomcat off the class path: the {@code jetty} test run), driven by
 * quiesce-jetty's adapter on Boot's own {@code Server}, passes the adapter kit unchanged.
 */
@Tag("jetty")
class BootJettyIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            ConfigurableApplicationContext context = TckApp.run(shutdown, handlers);
            assertThat(((WebServerApplicationContext) context).getWebServer()).as("Boot's web server")
                    .isInstanceOf(JettyWebServer.class);
            return ServerUnderTest.http1(context.getBean(QuiesceJettyServer.class).ingress(),
                    new InetSocketAddress("127.0.0.1", TckApp.port(context)));
        };
    }
}
