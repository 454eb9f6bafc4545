package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.shutdown.Shutdown;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/** A main web server that Quiesce does not drain is named at startup, with what to do; a drained one is not. */
@Timeout(120)
class WebServerDrainCheckTest {

    @Test
    void tomcatWithTheStarter_isDrained_andNothingIsSaid() throws Exception {
        ConfigurableApplicationContext context = Apps.run();
        try {
            assertThat(check(context).warning()).isNull();
        } finally {
            close(context);
        }
    }

    @Test
    void aWebServerWithoutAnIngress_isNamedAtStartup_withWhatToDo() throws Exception {
        ConfigurableApplicationContext context = Apps.run(
                "spring.autoconfigure.exclude=dev.quiesce.spring.tomcat.QuiesceTomcatAutoConfiguration");
        try {
            assertThat(context.getBean(Shutdown.class).ingresses()).isEmpty();
            assertThat(check(context).warning())
                    .contains("Quiesce does not drain this application's web server (TomcatWebServer)")
                    .contains("requests in flight at SIGTERM will be cut")
                    .contains("do not exclude dev.quiesce.spring.tomcat.QuiesceTomcatAutoConfiguration");
        } finally {
            close(context);
        }
    }

    @Test
    void anApplicationWithoutAWebServer_isNotWarned() throws Exception {
        ConfigurableApplicationContext context = Apps.run("spring.main.web-application-type=none");
        try {
            assertThat(check(context).warning()).isNull();
        } finally {
            close(context);
        }
    }

    @Test
    void theMessage_namesTheFixForEachKindOfServer() {
        assertThat(WebServerDrainCheck.message("JettyWebServer")).contains("add the dependency dev.quiesce:quiesce-jetty");
        assertThat(WebServerDrainCheck.message("NettyWebServer")).contains("(NettyWebServer)")
                .contains("register an Ingress of your own with Shutdown.ingress");
    }

    private static WebServerDrainCheck check(ConfigurableApplicationContext context) {
        return (WebServerDrainCheck) context.getBean("quiesceWebServerDrainCheck");
    }

    private static void close(ConfigurableApplicationContext context) throws InterruptedException {
        Shutdown shutdown = context.getBean(Shutdown.class);
        context.close();
        assertThat(shutdown.awaitTermination(Duration.ofSeconds(30))).isPresent();
    }
}
