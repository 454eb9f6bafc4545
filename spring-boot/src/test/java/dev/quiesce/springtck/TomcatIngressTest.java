package dev.quiesce.springtck;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.spring.tomcat.TomcatIngress;
import dev.quiesce.tck.Handlers;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;
import java.net.InetSocketAddress;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The embedded Tomcat of a Boot application, driven by {@link TomcatIngress}, passes the adapter kit unchanged: the
 * kit's {@code Shutdown} is the application's {@code Shutdown} bean. In a package of its own (not scanned by the
 * other tests' application).
 */
class TomcatIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(TckApp.class)
                    .initializers(c -> {
                        c.getBeanFactory().registerSingleton("kitShutdown", shutdown);
                        c.getBeanFactory().registerSingleton("kitHandlers", handlers);
                    })
                    .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off")
                    .run();
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            return ServerUnderTest.http1(context.getBean(TomcatIngress.class), new InetSocketAddress("127.0.0.1", port));
        };
    }

    /** The kit's two routes. */
    @EnableAutoConfiguration
    @Import(Routes.class)
    static class TckApp {}

    @RestController
    static class Routes {
        private final Handlers handlers;

        Routes(Handlers handlers, Shutdown shutdown) {
            this.handlers = handlers;
        }

        @GetMapping("/tck/quick")
        String quick() {
            return handlers.quick();
        }

        @GetMapping("/tck/slow")
        String slow() throws InterruptedException {
            return handlers.slow(); // throws InterruptedException when cancelled: the ingress answers 503
        }
    }
}
