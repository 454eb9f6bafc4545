package dev.quiesce.test;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import org.junit.jupiter.api.Test;

/** The {@link QuiesceLeakCheck} example of its Javadoc and the module's README, compiled. */
final class LeakCheckSnippets {
    private LeakCheckSnippets() {}

    // @start region=leak-check
    @QuiesceLeakCheck(allowThreads = "http-acceptor") // the server the class shares is meant to stay
    static class OrderServiceTest {
        @Test
        void placesAnOrder() throws Exception {
            try (var scope = Scope.open(Joiner.awaitAll())) {
                scope.fork(() -> "reserve stock");
                scope.fork(() -> "charge card");
                scope.join();
            } // a scope left open, a fork still running or a ticket never closed would fail this test
        }
    }
    // @end
}
