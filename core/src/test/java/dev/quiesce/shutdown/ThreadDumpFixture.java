package dev.quiesce.shutdown;

import dev.quiesce.Scope;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A child JVM for {@link ThreadDumpProcessTest}: {@code n} virtual threads parked in two nested scopes (half in
 * the outer, half in the inner), a shutdown whose drain waits on one request that never ends and whose state
 * hook blocks, so that three SIGTERMs find it in DRAIN, then in PERSIST, then dump and halt. Prints
 * {@code READY}, {@code PHASE <phase>} as phases start, and {@code PERSISTING}.
 */
final class ThreadDumpFixture {
    private ThreadDumpFixture() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        Shutdown shutdown = Shutdown.builder().platformBudget(Duration.ofMinutes(10))
                .gracePeriod(Duration.ofMinutes(3)).persistBudget(Duration.ofMinutes(3))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        System.out.println("PHASE " + phase);
                    }
                }).start();
        shutdown.onPersist("blocks", budget -> {
            System.out.println("PERSISTING");
            Thread.sleep(Duration.ofDays(1));
        });
        var request = shutdown.inFlight().enter(); // never closed: the drain waits for it
        var parked = new CountDownLatch(1);
        var started = new CountDownLatch(n);
        Runnable park = () -> {
            started.countDown();
            try {
                parked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (var outer = Scope.open()) {
            outer.fork(() -> {
                try (var inner = Scope.open()) {
                    for (int i = 0; i < n - n / 2; i++) {
                        inner.fork(park);
                    }
                    inner.join();
                }
                return null;
            });
            for (int i = 0; i < n / 2; i++) {
                outer.fork(park);
            }
            started.await();
            shutdown.markReady();
            System.out.println("READY " + request);
            outer.join();
        }
    }
}
