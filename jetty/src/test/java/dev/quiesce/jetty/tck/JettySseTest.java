package dev.quiesce.jetty.tck;

import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.SseContractTest;

/** An SSE stream on the Jetty adapter ends cleanly at the drain: the kit's SSE case. */
class JettySseTest extends SseContractTest {

    @Override
    protected IngressFactory factory() {
        return JettyIngressTest.jetty();
    }
}
