package dev.quiesce.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quiesce.benchmarks.PairedStats.Op;
import dev.quiesce.benchmarks.PairedStats.Summary;
import dev.quiesce.benchmarks.PairedStats.Verdict;
import org.junit.jupiter.api.Test;

class PairedStatsTest {

    @Test
    void theMedianOfAnOddCountIsTheMiddleValue_ofAnEvenCountTheMeanOfTheMiddleTwo() {
        assertThat(PairedStats.median(new double[] {3, 1, 2})).isEqualTo(2.0);
        assertThat(PairedStats.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(PairedStats.median(new double[] {7})).isEqualTo(7.0);
    }

    @Test
    void quartilesInterpolateLinearly_likePythonsInclusiveMethod() {
        // statistics.quantiles([1, 2, 3, 4], n=4, method='inclusive') == [1.75, 2.5, 3.25]
        Summary s = PairedStats.summarize(new double[] {4, 2, 1, 3});
        assertThat(s.q1()).isCloseTo(1.75, within(1e-12));
        assertThat(s.median()).isCloseTo(2.5, within(1e-12));
        assertThat(s.q3()).isCloseTo(3.25, within(1e-12));
        assertThat(s.count()).isEqualTo(4);
        // statistics.quantiles([1, 2, 3, 4, 100], n=4, method='inclusive') == [2.0, 3.0, 4.0]: an outlier moves no quartile
        Summary t = PairedStats.summarize(new double[] {100, 1, 2, 3, 4});
        assertThat(new double[] {t.q1(), t.median(), t.q3()}).containsExactly(2.0, 3.0, 4.0);
        assertThat(PairedStats.quantile(new double[] {5, 9}, 0)).isEqualTo(5.0);
        assertThat(PairedStats.quantile(new double[] {5, 9}, 1)).isEqualTo(9.0);
    }

    @Test
    void oneValueIsItsOwnInterquartileRange() {
        Summary s = PairedStats.summarize(new double[] {0.8});
        assertThat(new double[] {s.q1(), s.median(), s.q3()}).containsExactly(0.8, 0.8, 0.8);
    }

    @Test
    void theSampleIsNotReordered() {
        double[] xs = {3, 1, 2};
        PairedStats.summarize(xs);
        assertThat(xs).containsExactly(3, 1, 2);
    }

    @Test
    void anEmptySampleOrAQuantileOutsideZeroToOneIsRefusedWithAMessage() {
        assertThatThrownBy(() -> PairedStats.median(new double[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> PairedStats.quantile(new double[] {1}, 1.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1]");
    }

    @Test
    void ratiosArePerBlock() {
        assertThat(PairedStats.ratios(new double[] {10, 30}, new double[] {20, 10})).containsExactly(0.5, 3.0);
        assertThatThrownBy(() -> PairedStats.ratios(new double[] {1}, new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different lengths");
    }

    private static Summary iqr(double q1, double q3) {
        return new Summary((q1 + q3) / 2, q1, q3, 10);
    }

    @Test
    void atMost_isMetOnlyWhenTheWholeIqrIsAtOrBelowTheThreshold() {
        assertThat(PairedStats.verdict(iqr(0.7, 0.8), Op.AT_MOST, 0.9)).isEqualTo(Verdict.MET);
        assertThat(PairedStats.verdict(iqr(0.7, 0.9), Op.AT_MOST, 0.9)).isEqualTo(Verdict.MET); // Q3 on the threshold
        assertThat(PairedStats.verdict(iqr(0.85, 0.95), Op.AT_MOST, 0.9)).isEqualTo(Verdict.INCONCLUSIVE);
        assertThat(PairedStats.verdict(iqr(0.9, 0.95), Op.AT_MOST, 0.9)).isEqualTo(Verdict.INCONCLUSIVE); // Q1 on it
        assertThat(PairedStats.verdict(iqr(0.91, 0.95), Op.AT_MOST, 0.9)).isEqualTo(Verdict.MISSED);
    }

    @Test
    void below_isMetOnlyWhenTheWholeIqrIsStrictlyBelowTheThreshold() {
        assertThat(PairedStats.verdict(iqr(0.8, 0.99), Op.BELOW, 1.0)).isEqualTo(Verdict.MET);
        assertThat(PairedStats.verdict(iqr(0.8, 1.0), Op.BELOW, 1.0)).isEqualTo(Verdict.INCONCLUSIVE); // Q3 on it
        assertThat(PairedStats.verdict(iqr(1.0, 1.0), Op.BELOW, 1.0)).isEqualTo(Verdict.MISSED); // all on it
        assertThat(PairedStats.verdict(iqr(1.0, 1.2), Op.BELOW, 1.0)).isEqualTo(Verdict.MISSED);
    }

    @Test
    void aMedianOnTheRightSideIsNotEnoughForMet() {
        assertThat(PairedStats.verdict(new Summary(0.85, 0.8, 0.95, 10), Op.AT_MOST, 0.9))
                .isEqualTo(Verdict.INCONCLUSIVE);
        assertThat(PairedStats.verdict(new Summary(0.95, 0.85, 1.0, 10), Op.AT_MOST, 0.9))
                .isEqualTo(Verdict.INCONCLUSIVE);
    }
}
