package dev.quiesce.springtck;

import dev.quiesce.spring.tomcat.TomcatIngress;
import dev.quiesce.tck.IngressContractTest;
import dev.quiesce.tck.IngressFactory;
import dev.quiesce.tck.ServerUnderTest;
import java.net.InetSocketAddress;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The embedded Tomcat of a Boot application, driven by {@link TomcatIngress}, passes the adapter kit unchanged: the
 * kit's {@code Shutdown} is the application's {@code Shutdown} bean. In a package of its own (not scanned by the
 * other tests' application).
 */
class TomcatIngressTest extends IngressContractTest {

    @Override
    protected IngressFactory factory() {
        return (shutdown, handlers) -> {
            ConfigurableApplicationContext context = TckApp.run(shutdown, handlers);
            return ServerUnderTest.http1(context.getBean(TomcatIngress.class),
                    new InetSocketAddress("127.0.0.1", TckApp.port(context)));
        };
    }
}
