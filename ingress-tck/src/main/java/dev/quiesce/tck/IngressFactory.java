package dev.quiesce.tck;

import dev.quiesce.shutdown.Shutdown;

/**
 * Starts the server under test: what an adapter's test gives {@link IngressContractTest}. One call per test,
 * with a fresh, running {@link Shutdown} (no signal handlers, exit policy {@code RETURN}; the kit triggers it
 * and marks it ready).
 *
 * <p>The factory starts the adapter's server on a free loopback port, with two routes that call
 * {@code handlers} ({@link Route#QUICK} and {@link Route#SLOW}; an HTTP adapter on {@link Http1Client#path}),
 * registers the adapter's {@link dev.quiesce.shutdown.Ingress} with {@code shutdown.ingress(..)} (as the adapter
 * does in production: directly, or through its own start-up), and returns once the server accepts
 * connections. Example, for the JDK's HttpServer adapter:
 *
 * <pre>{@code
 * IngressFactory factory = (shutdown, handlers) -> {
 *     DrainingHttpServer server = DrainingHttpServer.builder(shutdown).bind("127.0.0.1", 0)
 *             .route(Http1Client.path(Route.QUICK), ex -> send(ex, handlers.quick()))
 *             .route(Http1Client.path(Route.SLOW), ex -> send(ex, handlers.slow()))
 *             .start();
 *     return ServerUnderTest.http1(server.ingress(), server.address());
 * };
 * }</pre>
 */
@FunctionalInterface
public interface IngressFactory {

    /**
     * Starts the server under test with {@code shutdown}, serving the kit's routes with {@code handlers}.
     *
     * @throws Exception if the server cannot start; the test fails with it
     */
    ServerUnderTest start(Shutdown shutdown, Handlers handlers) throws Exception;
}
