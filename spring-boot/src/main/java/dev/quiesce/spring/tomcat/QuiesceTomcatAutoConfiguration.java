package dev.quiesce.spring.tomcat;

import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.spring.QuiesceAutoConfiguration;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.tomcat.TomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;

/**
 * Boot's embedded Tomcat drains with the {@link Shutdown}: a {@link TomcatIngress} named {@code http}, its valve on
 * the engine, its connectors on {@link QuiesceHttp11NioProtocol} (unless the application chose a protocol), registered with the shutdown once the server has started.
 */
@AutoConfiguration(after = QuiesceAutoConfiguration.class)
@ConditionalOnClass({TomcatWebServer.class, Shutdown.class})
@ConditionalOnWebApplication
@ConditionalOnBean(Shutdown.class)
public class QuiesceTomcatAutoConfiguration {

    private static final String FILTER = "quiesceCloseOnDrain";

    /** Created by Boot. */
    public QuiesceTomcatAutoConfiguration() {}

    /**
     * The ingress of the main web server.
     *
     * @param shutdown the shutdown, whose tracker counts the ingress's requests too
     * @return the ingress, named {@code http}
     */
    @Bean
    public TomcatIngress quiesceTomcatIngress(Shutdown shutdown) {
        TomcatIngress ingress = new TomcatIngress("http");
        ingress.countIn(shutdown.inFlight()); // the report's requests line counts Tomcat's requests
        return ingress;
    }

    /**
     * Adds the ingress's valve to the Tomcat factory, and its filter first in the application's filter chain; makes
     * the protocol {@link QuiesceHttp11NioProtocol} when the application keeps Tomcat's default
     * ({@code Http11NioProtocol}).
     *
     * @param ingress the ingress
     * @return the customizer
     */
    @Bean
    public WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> quiesceTomcatCustomizer(TomcatIngress ingress) {
        return factory -> {
            if (factory instanceof TomcatWebServerFactory tomcat
                    && TomcatWebServerFactory.DEFAULT_PROTOCOL.equals(tomcat.getProtocol())) {
                // Tomcat's NIO protocol, whose listener the ingress can close with the acceptor still running
                tomcat.setProtocol(QuiesceHttp11NioProtocol.class.getName());
            }
            factory.addEngineValves(ingress.valve());
            factory.addContextCustomizers(context -> {
                FilterDef def = new FilterDef();
                def.setFilterName(FILTER);
                def.setFilter(ingress.filter());
                def.setAsyncSupported("true");
                context.addFilterDef(def);
                FilterMap map = new FilterMap();
                map.setFilterName(FILTER);
                map.addURLPattern("/*");
                context.addFilterMapBefore(map);
            });
        };
    }

    /**
     * Registers the ingress with the shutdown once the main web server has started (a management server on a port
     * of its own is left to Boot).
     *
     * @param ingress the ingress
     * @param shutdown the shutdown
     * @return the listener
     */
    @Bean
    public ApplicationListener<WebServerInitializedEvent> quiesceTomcatRegistration(TomcatIngress ingress,
            Shutdown shutdown) {
        return event -> {
            if (event.getWebServer() instanceof TomcatWebServer tomcat
                    && event.getApplicationContext().getServerNamespace() == null) {
                ingress.attach(tomcat.getTomcat());
                shutdown.ingress(ingress);
            }
        };
    }
}
