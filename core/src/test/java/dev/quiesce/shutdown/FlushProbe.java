package dev.quiesce.shutdown;

import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link TelemetryFlushTest} with {@code -Xlog:class+load}: a shutdown with a telemetry
 * flush, a flush hook and a cleanup hook runs its sequence once; a listener prints a marker line when the flush
 * starts and when the exit does, and the hook one when it runs, so that the test can list what is loaded in
 * between. Constant strings only: a concatenation in test code would link a call site of its own.
 */
public final class FlushProbe {
    static final String FLUSH = "QUIESCE-PROBE flush";
    static final String FLUSHED = "QUIESCE-PROBE flushed";
    static final String EXIT = "QUIESCE-PROBE exit";

    private FlushProbe() {}

    public static void main(String[] args) throws Exception {
        var flushed = new CountDownLatch(1);
        Shutdown s = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .telemetryFlush(java.time.Duration.ofSeconds(2))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.TELEMETRY_FLUSH) {
                            System.out.println(FLUSH);
                            System.out.flush();
                        } else if (phase == Phase.EXIT) {
                            System.out.println(EXIT);
                            System.out.flush();
                        }
                    }
                }).start();
        s.onCleanup("pool", () -> { });
        s.onTelemetryFlush("exporter", () -> {
            System.out.println(FLUSHED);
            System.out.flush();
            flushed.countDown();
        });
        s.markReady();
        s.initiate("probe");
        s.awaitTermination();
        flushed.await();
    }
}
