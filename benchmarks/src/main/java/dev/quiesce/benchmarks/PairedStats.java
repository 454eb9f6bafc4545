package dev.quiesce.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * The statistics of {@link Paired}: median and quartiles of per-block ratios, and the verdict of a target
 * against the interquartile range.
 * <p>Quartiles interpolate linearly between order statistics (the "inclusive" method: Python's
 * {@code statistics.quantiles(method='inclusive')}, numpy's default, R's type 7): the quantile {@code p} of
 * the sorted {@code x[0..m-1]} is {@code x[h] + (h - floor(h)) * (x[floor(h)+1] - x[floor(h)])} with
 * {@code h = p * (m - 1)}. So the median of an even count is the mean of the middle two, and the IQR of one
 * value is that value.
 */
final class PairedStats {

    private PairedStats() {}

    /** Median and quartiles of a sample. */
    record Summary(double median, double q1, double q3, int count) {

        /** {@code "0.94 [0.90–0.99]"}. */
        String format() {
            return String.format(Locale.ROOT, "%.2f [%.2f–%.2f]", median, q1, q3);
        }
    }

    /** Which side of a threshold a target wants. */
    enum Op {
        /** At most the threshold. */
        AT_MOST("≤"),
        /** Strictly below the threshold. */
        BELOW("<");

        final String symbol;

        Op(String symbol) {
            this.symbol = symbol;
        }

        boolean holds(double x, double threshold) {
            return this == AT_MOST ? x <= threshold : x < threshold;
        }
    }

    /** The verdict of a target. */
    enum Verdict {
        /** The whole interquartile range is on the target's side. */
        MET("met"),
        /** The whole interquartile range is on the wrong side. */
        MISSED("missed"),
        /** The threshold is inside the interquartile range. */
        INCONCLUSIVE("inconclusive");

        final String label;

        Verdict(String label) {
            this.label = label;
        }
    }

    /** Quantile {@code p} (0..1) of {@code xs} (not modified), by linear interpolation. */
    static double quantile(double[] xs, double p) {
        if (xs.length == 0) {
            throw new IllegalArgumentException("quantile of an empty sample");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("quantile p must be in [0, 1], was " + p);
        }
        double[] s = xs.clone();
        Arrays.sort(s);
        double h = p * (s.length - 1);
        int lo = (int) Math.floor(h);
        if (lo >= s.length - 1) {
            return s[s.length - 1];
        }
        return s[lo] + (h - lo) * (s[lo + 1] - s[lo]);
    }

    static double median(double[] xs) {
        return quantile(xs, 0.5);
    }

    static Summary summarize(double[] xs) {
        return new Summary(median(xs), quantile(xs, 0.25), quantile(xs, 0.75), xs.length);
    }

    /** Element-wise {@code a[i] / b[i]}: the per-block ratios of two implementations measured in the same blocks. */
    static double[] ratios(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("ratios of samples of different lengths: " + a.length + ", " + b.length);
        }
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i] / b[i];
        }
        return r;
    }

    /**
     * {@link Verdict#MET} when the whole interquartile range satisfies {@code op threshold} (then Q3 does),
     * {@link Verdict#MISSED} when none of it does (Q1 does not), {@link Verdict#INCONCLUSIVE} otherwise.
     */
    static Verdict verdict(Summary s, Op op, double threshold) {
        if (op.holds(s.q3(), threshold) && op.holds(s.q1(), threshold)) {
            return Verdict.MET;
        }
        if (!op.holds(s.q1(), threshold) && !op.holds(s.q3(), threshold)) {
            return Verdict.MISSED;
        }
        return Verdict.INCONCLUSIVE;
    }
}
