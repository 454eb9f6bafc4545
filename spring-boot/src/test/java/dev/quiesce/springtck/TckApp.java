package dev.quiesce.springtck;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.tck.Handlers;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The application the adapter kit drives: the kit's two routes, and the kit's {@code Shutdown} as the application's
 * {@code Shutdown} bean. Its web server is the one Boot picks from the class path (Tomcat, or Jetty without Tomcat).
 */
@EnableAutoConfiguration
@Import(TckApp.Routes.class)
class TckApp {

    /** Starts the application on a free loopback port. */
    static ConfigurableApplicationContext run(Shutdown shutdown, Handlers handlers) {
        return new SpringApplicationBuilder(TckApp.class)
                .initializers(c -> {
                    c.getBeanFactory().registerSingleton("kitShutdown", shutdown);
                    c.getBeanFactory().registerSingleton("kitHandlers", handlers);
                })
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off")
                .run();
    }

    /** The port the application's web server listens on. */
    static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

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
