package dev.quiesce.tck.http;

import dev.quiesce.http.DrainingHttpServer;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.SseContractTest;

/** The JDK's HttpServer adapter, {@link DrainingHttpServer}, ends an SSE stream cleanly at the drain. */
class DrainingHttpServerSseTest extends SseContractTest {

    @Override
    protected IngressFactory factory() {
        return DrainingHttpServerIngressTest.jdk();
    }
}
