package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IngressCountsTest {

    @Test
    void countsAreExact_andFinalOnceNothingIsInFlight() {
        var counts = new IngressCounts();
        InFlightTracker.Ticket before = counts.accept();
        InFlightTracker.Ticket drained = counts.accept();
        InFlightTracker.Ticket cancelled = counts.accept();
        assertThat(counts.tracker().inFlight()).isEqualTo(3);
        assertThat(counts.describe("x", "p", "a:1").inFlight()).isEqualTo(3);
        counts.end(before, false);
        assertThat(counts.leaving()).isFalse();
        counts.markLeaving();
        counts.end(drained, false);
        counts.end(cancelled, true);
        assertThat(counts.tracker().inFlight()).isZero();
        assertThat(counts.describe("x", "p", "a:1")).isEqualTo(new IngressDescription("x", "p", "a:1", 3, 2, 1, 1, 0));
    }
}
