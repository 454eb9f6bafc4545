package dev.quiesce.internal;

import java.util.concurrent.CountDownLatch;

/** Waits that the shutdown sequence must finish even if interrupted; the interrupt status is restored after. */
public final class Uninterruptibles {
    private Uninterruptibles() {}

    /** Waits for {@code latch}, remembering any interrupt and restoring it before returning. */
    public static void await(CountDownLatch latch) {
        boolean interrupted = false;
        for (;;) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
