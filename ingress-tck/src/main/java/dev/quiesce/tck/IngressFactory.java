package dev.quiesce.tck;

import dev.quiesce.shutdown.Shutdown;

/**
 * Starts the server under test: what an adapter's test gives {@link IngressContractTest} (and the opt-in suites
 * {@link Http2ContractTest}, {@link SseContractTest}, {@link WebSocketContractTest}). One call per test,
 * with a fresh, running {@link Shutdown} (no signal handlers, exit policy {@code RETURN}; the kit triggers it
 * and marks it ready).
 *
 * <p>The factory starts the adapter's server on a free loopback port, with two routes that call
 * {@code handlers} ({@link Route#QUICK} and {@link Route#SLOW}; an HTTP adapter on {@link Http1Client#path}),
 * registers the adapter's {@link dev.quiesce.shutdown.Ingress} with {@code shutdown.ingress(..)} (as the adapter
 * does in production: directly, or through its own start-up), and returns once the server accepts
 * connections. For {@link SseContractTest} it also serves {@link Route#EVENTS} with
 * {@link Handlers#events(Handlers.EventSink)}; for {@link WebSocketContractTest}, an idle WebSocket endpoint on
 * {@link WebSocketContractTest#PATH}; for {@link Http2ContractTest}, the routes over h2c (HTTP/2 by prior knowledge)
 * on the same address. Example, for the JDK's HttpServer adapter:
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
