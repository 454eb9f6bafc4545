package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Each kind of leak fails a test under {@link QuiesceLeakCheck}, with its scope path and stack; a clean test passes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LeakCheckTest {

    /** Runs {@code testClass} in a nested JUnit launcher; the messages of its failures. */
    static List<String> failuresOf(Class<?> testClass) {
        var listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass))
                .build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTestsStartedCount()).as("tests run in %s", testClass.getSimpleName()).isEqualTo(1);
        return summary.getFailures().stream().map(f -> String.valueOf(f.getException().getMessage())).toList();
    }

    /** {@code testClass}'s one test fails with a message that contains every one of {@code fragments}. */
    private static void assertOneFailure(Class<?> testClass, String... fragments) {
        assertThat(failuresOf(testClass)).singleElement().satisfies(m -> assertThat(m).contains(fragments));
    }

    @AfterEach
    void releaseTheLeaks() throws Exception {
        LeakySamples.release.countDown();
        LeakySamples.release = new CountDownLatch(1);
        var ticket = LeakySamples.leakedTicket;
        if (ticket != null) {
            ticket.close();
            LeakySamples.leakedTicket = null;
        }
    }

    @Test
    void anOpenScope_failsTheTest_withItsPathAndOwner() {
        assertOneFailure(LeakySamples.LeavesAScopeOpen.class, "leaked 1 thing", "open scope /forgotten",
                "owner \"scope-owner", "at dev.quiesce.test.LeakySamples.awaitRelease");
    }

    @Test
    void aRunningSubtaskThread_failsTheTest_withItsStack() {
        assertOneFailure(LeakySamples.LeavesASubtaskRunning.class, "running subtask thread", "/impatient",
                "straggler", "at dev.quiesce.test.LeakySamples.awaitRelease", "dev.quiesce.internal.SubtaskImpl.run");
    }

    @Test
    void aVirtualThreadStillAlive_failsTheTest_withItsStack() {
        assertOneFailure(LeakySamples.LeavesAVirtualThreadRunning.class, "leaked 1 thing",
                "virtual thread still alive", "\"fire-and-forget\"",
                "at dev.quiesce.test.LeakySamples.awaitRelease");
    }

    @Test
    void aTicketNeverReleased_failsTheTest_withTheStackThatEnteredIt() {
        assertOneFailure(LeakySamples.LeavesATicketOpen.class, "leaked 1 thing",
                "InFlightTracker ticket never released", "InFlightTracker[inFlight=",
                "at dev.quiesce.test.LeakySamples$LeavesATicketOpen.test");
    }

    @Test
    void aThreadTheTestNamesAsIntended_isNotALeak() {
        assertThat(failuresOf(LeakySamples.LeavesOnlyAnIntendedThread.class)).isEmpty();
    }

    @Test
    void aTestThatEndsWhatItStarts_passes() {
        assertThat(failuresOf(LeakySamples.CleansUpAfterItself.class)).isEmpty();
    }
}
