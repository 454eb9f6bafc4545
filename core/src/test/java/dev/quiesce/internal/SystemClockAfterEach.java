package dev.quiesce.internal;

import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For test classes that install a {@link ManualClock}: fails a test that leaves a clock other than the system's
 * installed (core's tests share one JVM, so a leaked clock would reach every later test), and puts the system
 * clock back so that the later tests still run on it.
 */
public final class SystemClockAfterEach implements AfterEachCallback {
    /** How long, in real time, a virtual-time test waits for a thread to reach an observed state. */
    public static final Duration PATIENCE = Duration.ofSeconds(10);

    @Override
    public void afterEach(ExtensionContext context) {
        QuiesceClock left = Clocks.installed();
        if (left != Clocks.defaultClock()) {
            Clocks.install(Clocks.defaultClock()); // never closed: the system clock stays
            throw new AssertionError(context.getDisplayName() + " left clock " + left + " installed: install a "
                    + "test clock in try-with-resources");
        }
    }
}
