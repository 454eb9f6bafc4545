package dev.quiesce.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;

/**
 * {@link ShutdownOrderTest} on Boot's Jetty (the {@code jetty} test run, Tomcat off the class path): readiness refuses
 * traffic while the listener is open, then the listener closes, the held request completes with
 * {@code Connection: close}, the hooks run and the context closes last; the request ran in the scope tree.
 */
@Tag("jetty")
class JettyShutdownOrderTest extends ShutdownOrderTest {

    @Override
    String expectedServer() {
        return "JettyServletWebServer";
    }

    @Override
    String expectedIngress() {
        return "jetty";
    }

    @Override
    void checkRequestScope(String path) {
        assertThat(path).as("the scope of the request (a subtask req-N of /<shutdown>/http)").matches("/[^/]+/http");
    }
}
