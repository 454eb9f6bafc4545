package dev.quiesce.spring.jetty;

import dev.quiesce.Scope;
import dev.quiesce.jetty.QuiesceJetty;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.spring.QuiesceAutoConfiguration;
import dev.quiesce.spring.tomcat.CloseOnDrainFilter;
import java.util.function.BooleanSupplier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;

/**
 * Boot's embedded Jetty drains with the {@link Shutdown}, through quiesce-jetty's adapter ({@link QuiesceJetty}) on
 * Boot's own Jetty {@code Server}: a server customizer puts the adapter's handler first in the server's tree before
 * Boot starts it (every request counted and run in a virtual thread of the scope tree, {@code /<shutdown>/http/req-N};
 * HTTP/1.1 responses committed once draining carry {@code Connection: close}), and the adapter's ingress (named
 * {@code jetty}) is registered with the shutdown once the server has started. A servlet filter first in the chain
 * answers 503 to a request whose handler ends in an exception once it was cancelled (a servlet container would
 * answer its own 500). Active when {@code spring-boot-jetty} and {@code quiesce-jetty} are on the class path and the
 * application's web server is Jetty.
 */
@AutoConfiguration(after = QuiesceAutoConfiguration.class)
@ConditionalOnClass({JettyWebServer.class, QuiesceJetty.class, Shutdown.class})
@ConditionalOnWebApplication
@ConditionalOnBean(Shutdown.class)
public class QuiesceJettyAutoConfiguration {

    /** Created by Boot. */
    public QuiesceJettyAutoConfiguration() {}

    /**
     * The adapter of the main web server.
     *
     * @param shutdown the shutdown
     * @return the holder of the adapter, made when Boot makes its server
     */
    @Bean
    public QuiesceJettyServer quiesceJettyServer(Shutdown shutdown) {
        return new QuiesceJettyServer(shutdown);
    }

    /**
     * Prepares the Jetty server Boot makes: the adapter's handler first in its tree.
     *
     * @param server the adapter's holder
     * @return the customizer
     */
    @Bean
    public WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> quiesceJettyCustomizer(QuiesceJettyServer server) {
        return factory -> factory.addServerCustomizers(server::prepare);
    }

    /**
     * Registers the adapter's ingress with the shutdown once the main web server has started (a management server
     * on a port of its own is left to Boot).
     *
     * @param server the adapter's holder
     * @return the listener
     */
    @Bean
    public ApplicationListener<WebServerInitializedEvent> quiesceJettyRegistration(QuiesceJettyServer server) {
        return event -> {
            if (event.getWebServer() instanceof JettyWebServer jetty
                    && event.getApplicationContext().getServerNamespace() == null) {
                server.started(jetty.getServer());
            }
        };
    }

    /**
     * First in the servlet filter chain: a request whose handler ends in an exception once its scope was cancelled
     * (the grace period is over and the shutdown interrupted it) is answered 503, not the container's 500.
     *
     * @return the filter's registration
     */
    @Bean
    @ConditionalOnWebApplication(type = Type.SERVLET)
    public FilterRegistrationBean<CloseOnDrainFilter> quiesceJettyCancelFilter() {
        BooleanSupplier never = new BooleanSupplier() { // quiesce-jetty's adapter says Connection: close itself
            @Override
            public boolean getAsBoolean() {
                return false;
            }
        };
        BooleanSupplier cancelled = new BooleanSupplier() { // in the request's thread, of the scope tree
            @Override
            public boolean getAsBoolean() {
                return Scope.find().map(s -> s.isCancelled()).orElse(false);
            }
        };
        var registration = new FilterRegistrationBean<>(new CloseOnDrainFilter(never, cancelled));
        registration.setName("quiesceCancelledAnswer");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.setAsyncSupported(true);
        return registration;
    }
}
