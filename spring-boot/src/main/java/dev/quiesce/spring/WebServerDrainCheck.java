package dev.quiesce.spring;

import dev.quiesce.shutdown.Shutdown;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Says so at startup when the application's main web server is not drained by Quiesce: a server the starter has no
 * ingress for (Reactor Netty, Undertow), or Jetty without {@code quiesce-jetty} on the class path. Without an
 * ingress the shutdown still runs its sequence, but nothing counts the server's requests, keeps its listener open
 * through the pre-drain delay or waits for them, so requests in flight at SIGTERM are cut when the context closes.
 * The check runs once the application is ready (every web server has started and every ingress is registered); an
 * application that registered an ingress of its own ({@link Shutdown#ingress}) is not warned.
 */
final class WebServerDrainCheck implements ApplicationListener<ApplicationEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(WebServerDrainCheck.class);

    private final Shutdown shutdown;
    private final ConfigurableApplicationContext context;
    private volatile String mainServer;
    private volatile String warning;

    WebServerDrainCheck(Shutdown shutdown, ConfigurableApplicationContext context) {
        this.shutdown = shutdown;
        this.context = context;
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof WebServerInitializedEvent started && started.getApplicationContext() == context
                && started.getApplicationContext().getServerNamespace() == null) {
            mainServer = started.getWebServer().getClass().getSimpleName();
        } else if (event instanceof ApplicationReadyEvent ready && ready.getApplicationContext() == context) {
            String server = mainServer;
            if (server != null && shutdown.ingresses().isEmpty()) {
                warning = message(server);
                LOG.warn(warning);
            }
        }
    }

    /** The warning logged at startup, or {@code null} when the main web server is drained (or there is none). */
    String warning() {
        return warning;
    }

    static String message(String server) {
        String name = server.toLowerCase(Locale.ROOT);
        String fix;
        if (name.contains("jetty")) {
            fix = "add the dependency dev.quiesce:quiesce-jetty (Boot's Jetty option is drained through it)";
        } else if (name.contains("tomcat")) {
            fix = "do not exclude dev.quiesce.spring.tomcat.QuiesceTomcatAutoConfiguration";
        } else {
            fix = "run it on Tomcat, or on Boot's Jetty option with dev.quiesce:quiesce-jetty, or register an Ingress of"
                    + " your own with Shutdown.ingress";
        }
        return "Quiesce does not drain this application's web server (" + server + "): requests in flight at SIGTERM"
                + " will be cut when the context closes. To drain it, " + fix + ".";
    }
}
