package dev.quiesce.shutdown;

import java.time.Duration;

/**
 * A registered hook.
 *
 * @param timeout its own timeout, or {@code null} for a share of its phase's budget (see {@link HookShares})
 * @param whenNeverReady for state hooks: whether it runs after a start-up that never became ready
 */
record Registered<H>(String name, H hook, Duration timeout, Shutdown.WhenNeverReady whenNeverReady) {}
