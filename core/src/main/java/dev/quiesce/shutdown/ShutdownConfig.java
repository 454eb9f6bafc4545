package dev.quiesce.shutdown;

import dev.quiesce.internal.Timers;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A validated {@link Shutdown.Builder} configuration, and the checks of every argument the shutdown takes.
 * {@code sequenceBudget} is the platform budget minus the margin; {@code telemetryFlush} (zero for none) is the
 * slice of it held back for {@link Phase#TELEMETRY_FLUSH}.
 */
record ShutdownConfig(
        String name,
        Duration platformBudget,
        Duration margin,
        Duration preDrainDelay,
        Duration stopAcceptingBudget,
        Duration gracePeriod,
        Duration cancelGrace,
        Duration persistBudget,
        Duration cleanupBudget,
        Duration reloadTimeout,
        Duration sequenceBudget,
        List<String> signals,
        Shutdown.ExitPolicy exitPolicy,
        List<Shutdown.PhaseListener> listeners,
        Duration telemetryFlush) {

    /** Validates a builder's values; the messages name what to change. */
    static ShutdownConfig validate(String name, Duration platformBudget, Duration margin, Duration preDrainDelay,
            Duration stopAcceptingBudget, Duration gracePeriod, Duration cancelGrace, Duration persistBudget,
            Duration cleanupBudget, Duration reloadTimeout, List<String> signals, Shutdown.ExitPolicy exitPolicy,
            List<Shutdown.PhaseListener> listeners, Duration telemetryFlush) {
        requirePositive(platformBudget, "platform budget (terminationGracePeriodSeconds)");
        requireNonNegative(margin, "margin");
        requireNonNegative(preDrainDelay, "pre-drain delay");
        requirePositive(stopAcceptingBudget, "stop-accepting budget");
        requirePositive(gracePeriod, "grace period");
        requirePositive(cancelGrace, "cancel grace");
        requirePositive(persistBudget, "persist budget");
        requirePositive(cleanupBudget, "cleanup budget");
        requirePositive(reloadTimeout, "reload timeout");
        requireNonNegative(telemetryFlush, "telemetry flush");
        if (margin.compareTo(platformBudget) >= 0) {
            throw new IllegalArgumentException("margin " + ms(margin) + " must be smaller than the platform budget "
                    + ms(platformBudget) + ": lower the margin or raise terminationGracePeriodSeconds");
        }
        Duration available = platformBudget.minus(margin);
        Duration[] phases = {preDrainDelay, stopAcceptingBudget, gracePeriod, cancelGrace, persistBudget,
                cleanupBudget, telemetryFlush};
        String[] names = {"preDrainDelay", "stopAcceptingBudget", "gracePeriod", "cancelGrace", "persistBudget",
                "cleanupBudget", "telemetryFlush"};
        Duration sum = Duration.ZERO;
        int longest = 0;
        for (int i = 0; i < phases.length; i++) {
            sum = Timers.saturatedPlus(sum, phases[i]); // saturated: any Duration is a valid argument
            if (phases[i].compareTo(phases[longest]) > 0) {
                longest = i;
            }
        }
        if (sum.compareTo(available) > 0) {
            Duration over = sum.minus(available);
            throw new IllegalArgumentException("the shutdown phases need " + ms(sum) + " (preDrainDelay "
                    + ms(preDrainDelay) + " + stopAcceptingBudget " + ms(stopAcceptingBudget) + " + gracePeriod "
                    + ms(gracePeriod) + " + cancelGrace " + ms(cancelGrace) + " + persistBudget "
                    + ms(persistBudget) + " + cleanupBudget " + ms(cleanupBudget)
                    + (telemetryFlush.isZero() ? "" : " + telemetryFlush " + ms(telemetryFlush))
                    + ") but the platform budget "
                    + ms(platformBudget) + " minus the margin " + ms(margin) + " leaves " + ms(available)
                    + ": shorten " + names[longest] + " (" + ms(phases[longest]) + ", the longest phase) by at least "
                    + ms(over) + ", or raise the platform budget (terminationGracePeriodSeconds)");
        }
        return new ShutdownConfig(name, platformBudget, margin, preDrainDelay, stopAcceptingBudget, gracePeriod,
                cancelGrace, persistBudget, cleanupBudget, reloadTimeout, available, List.copyOf(signals),
                exitPolicy, List.copyOf(listeners), telemetryFlush);
    }

    @Override
    public String toString() {
        return "platform budget " + ms(platformBudget) + " - margin " + ms(margin) + " = " + ms(sequenceBudget)
                + " for: pre-drain " + ms(preDrainDelay) + ", stop accepting " + ms(stopAcceptingBudget)
                + ", grace " + ms(gracePeriod) + ", cancel grace " + ms(cancelGrace) + ", persist "
                + ms(persistBudget) + ", cleanup " + ms(cleanupBudget)
                + (telemetryFlush.isZero() ? "" : ", telemetry flush " + ms(telemetryFlush)) + "; signals " + signals
                + ", exit policy " + exitPolicy;
    }

    /** A hook's own timeout, checked against its phase's budget. */
    static Duration checkTimeout(Duration timeout, Duration budget, String what) {
        requirePositive(timeout, what + " timeout");
        if (timeout.compareTo(budget) > 0) {
            throw new IllegalArgumentException(what + " timeout " + ms(timeout) + " is longer than the " + what
                    + " budget " + ms(budget) + ": shorten the timeout or raise the budget with Builder." + what
                    + "Budget(..)");
        }
        return timeout;
    }

    static void requireName(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("name '" + name + "' must be non-blank and must not contain '/'");
        }
    }

    static void requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d + " (" + ms(d) + ")"
                    + "; e.g. Duration.ofSeconds(2)");
        }
    }

    static void requireNonNegative(Duration d, String what) {
        Objects.requireNonNull(d, what + " must not be null");
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative, was " + d + " (" + ms(d)
                    + "); use Duration.ZERO for none");
        }
    }

    /** {@code d} for a message, safe for any duration (see {@link Timers#describeMillis}). */
    static String ms(Duration d) {
        return Timers.describeMillis(d);
    }
}
