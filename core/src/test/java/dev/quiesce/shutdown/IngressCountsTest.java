package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IngressCountsTest {

    @Test
    void countsAreExact_andFinalOnceNothingIsInFlight() {
        var counts = new IngressCounts();
        IngressCounts.Ticket before = counts.accept();
        IngressCounts.Ticket drained = counts.accept();
        IngressCounts.Ticket cancelled = counts.accept();
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

    @Test
    void countsMadeForAShutdown_countEachRequestInTheShutdownsTrackerToo_untilItEnds() {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        var counts = new IngressCounts(shutdown);
        IngressCounts.Ticket a = counts.accept();
        IngressCounts.Ticket b = counts.accept();
        assertThat(shutdown.inFlight().inFlight()).as("the shutdown's tracker").isEqualTo(2);
        counts.end(a, false);
        counts.end(b, true);
        assertThat(shutdown.inFlight().inFlight()).isZero();
        assertThat(shutdown.inFlight().completed()).isEqualTo(2);
        assertThat(counts.tracker().inFlight()).isZero();
    }
}
