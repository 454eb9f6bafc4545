package dev.quiesce.tck;

import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Ingress;
import dev.quiesce.shutdown.IngressDescription;
import java.util.concurrent.CountDownLatch;

/**
 * The kit's own ingress, registered after the adapter's: the shutdown calls the ingresses one after the other
 * in registration order, so when the probe's {@code stopAccepting()} or {@code goAway()} runs, the adapter's
 * has returned. That is the observed state the tests wait for instead of guessing a delay. It has no work
 * and is named {@value #NAME} in the report.
 */
final class ProbeIngress implements Ingress {
    static final String NAME = "tck-probe";

    final CountDownLatch stoppedAccepting = new CountDownLatch(1);
    final CountDownLatch wentAway = new CountDownLatch(1);
    private final InFlightTracker none = new InFlightTracker();

    @Override
    public void stopAccepting() {
        stoppedAccepting.countDown();
    }

    @Override
    public InFlightTracker inFlight() {
        return none;
    }

    @Override
    public void goAway() {
        wentAway.countDown();
    }

    @Override
    public void forceClose() {
        // nothing to close
    }

    @Override
    public IngressDescription describe() {
        return new IngressDescription(NAME, "none", "nowhere", 0, 0, 0, 0, 0);
    }
}
