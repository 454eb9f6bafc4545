package dev.quiesce.jetty.tck;

import dev.quiesce.tck.Http2ContractTest;
import dev.quiesce.tck.IngressFactory;

/** The builder's server speaks h2c on its port: the kit's HTTP/2 case (GOAWAY, in-flight streams, refusal). */
class JettyHttp2Test extends Http2ContractTest {

    @Override
    protected IngressFactory factory() {
        return JettyIngressTest.jetty();
    }
}
