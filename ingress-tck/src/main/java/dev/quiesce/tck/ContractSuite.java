package dev.quiesce.tck;

import org.junit.jupiter.api.AfterEach;

/**
 * What the kit's suites share: the adapter's {@link IngressFactory}, and each test's run (a fresh shutdown, the
 * server, the kit's probe and clients) ended after the test. An adapter's test extends one of the suites
 * ({@link IngressContractTest}, {@link Http2ContractTest}, {@link SseContractTest}, {@link WebSocketContractTest}),
 * not this class.
 *
 * <p>Not thread-safe; JUnit runs each test on a fresh instance. The tests of one class must not run in parallel
 * (the JVM has one running {@code Shutdown} at a time).
 */
public abstract class ContractSuite {
    /** The test's run: started by the test, ended by {@link #endTheTest()}. */
    final KitRun run = new KitRun();

    ContractSuite() {}

    /**
     * The factory that starts the server under test; called once per test. Each suite says what it must serve.
     *
     * @return the factory
     */
    protected abstract IngressFactory factory();

    /** Starts the test's run with a grace period no test waits out: a drain held for it fails by the timeout. */
    final void startWithALongGrace() throws Exception {
        run.start(factory(), b -> b.gracePeriod(KitRun.LONG));
    }

    /**
     * Ends what a test left: its shutdown (cut short), the handlers, the client connections.
     *
     * @throws InterruptedException if interrupted while the shutdown ends
     */
    @AfterEach
    protected final void endTheTest() throws InterruptedException {
        run.end();
    }
}
