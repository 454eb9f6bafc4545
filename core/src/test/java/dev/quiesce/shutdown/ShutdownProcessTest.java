package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs, real signals ({@code kill -TERM/-INT/-HUP/-KILL <pid>}), asserting exit codes, phase order and files. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ShutdownProcessTest {

    private static final List<String> PHASES_IN_ORDER = List.of("TRIGGER", "READINESS", "STOP_ACCEPTING", "DRAIN",
            "CANCEL", "ABANDON", "PERSIST", "CLEANUP", "REPORT", "EXIT");

    @TempDir
    Path dir;

    private static List<String> phaseStarts(ChildJvm child) {
        return child.lines().stream().filter(l -> l.startsWith("PHASE_START ")).map(l -> l.substring(12)).toList();
    }

    @Test
    void sigterm_withBusyWorkers_drainsPersistsClosesInReverseAndExitsZero() throws Exception {
        Path state = dir.resolve("state.txt");
        try (var child = ChildJvm.start("busy", state)) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            assertThat(child.waitFor()).as(child.output() + child.stderr()).isZero();

            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
            assertThat(child.lines().stream().filter(l -> l.startsWith("WORKER ")).toList()).hasSize(3)
                    .allMatch(l -> l.contains("thread /shutdown/worker-"));
            // every worker saw the soft stop during DRAIN, before CANCEL
            int drainEnd = indexOf(child, "PHASE_END DRAIN");
            assertThat(child.output()).contains("PHASE_END DRAIN drained");
            for (String w : child.lines().stream().filter(l -> l.startsWith("WORKER ")).toList()) {
                assertThat(child.lines().indexOf(w)).isLessThan(drainEnd);
            }
            assertThat(child.lines().stream().filter(l -> l.startsWith("CLOSE ")).toList())
                    .containsExactly("CLOSE fourth", "CLOSE second", "CLOSE first");
            assertThat(Files.readString(state)).startsWith("units=").doesNotContain("units=0");
            assertThat(child.output()).contains("PERSIST budget>0=true")
                    .contains("PHASE_END CANCEL nothing left to cancel");
        }
    }

    @Test
    void sigint_runsTheSameSequence() throws Exception {
        Path state = dir.resolve("state.txt");
        // ChildJvm resets an inherited ignore (a background job of a script has SIGINT ignored)
        try (var child = ChildJvm.start("busy", state)) {
            assertThat(child.awaitPrefix("SIGNALS")).contains("INT=HANDLED");
            child.awaitPrefix("READY");
            child.signal("INT");
            assertThat(child.waitFor()).as(child.output() + child.stderr()).isZero();
            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
            assertThat(child.output()).contains("PHASE_END TRIGGER signal SIGINT");
            assertThat(state).exists();
        }
    }

    @Test
    void anIgnoredSigint_isReportedAsIgnored() throws Exception {
        Path state = dir.resolve("state.txt");
        try (var child = ChildJvm.start("busy", state, List.of("sh", "-c", "trap '' INT; exec \"$0\" \"$@\""))) {
            assertThat(child.awaitPrefix("SIGNALS")).contains("INT=IGNORED_BY_PROCESS").contains("TERM=HANDLED");
            child.awaitPrefix("READY");
            child.signal("TERM");
            assertThat(child.waitFor()).isZero();
        }
    }

    @Test
    void aWorkerThatIgnoresInterrupts_isAbandonedAndNamed_andTheExitCodeSaysForced() throws Exception {
        try (var child = ChildJvm.start("stubborn", dir.resolve("state.txt"))) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            // the grace period (1 s in this scenario) passes: the stubborn worker ignores the soft stop too
            assertThat(child.waitFor()).as(child.output()).isEqualTo(ShutdownReport.Outcome.FORCED.exitCode());
            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
            String abandon = child.awaitPrefix("PHASE_END ABANDON");
            assertThat(abandon).contains("1 stragglers abandoned");
            String report = child.awaitPrefix("REPORT ");
            assertThat(report).contains("\"thread\":\"/shutdown/stubborn\"").contains("ignoreInterrupts")
                    .contains("\"outcome\":\"FORCED\"");
            // the sequence went on: state persisted and resources closed after the abandoned worker
            assertThat(child.output()).contains("CLOSE first");
        }
    }

    @Test
    void aCleanupHookThatThrows_andOneThatHangs_areRecorded_andLaterHooksStillRun() throws Exception {
        try (var child = ChildJvm.start("hooks", dir.resolve("state.txt"))) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            assertThat(child.waitFor()).as(child.output()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED.exitCode());
            assertThat(child.lines().stream().filter(l -> l.startsWith("CLOSE ")).toList())
                    .containsExactly("CLOSE fourth", "CLOSE third (hangs)", "CLOSE second", "CLOSE first");
            String report = child.awaitPrefix("REPORT ");
            assertThat(report)
                    .contains("{\"phase\":\"CLEANUP\",\"name\":\"fourth\",\"status\":\"OK\"")
                    .contains("{\"phase\":\"CLEANUP\",\"name\":\"third\",\"status\":\"TIMED_OUT\"")
                    .contains("{\"phase\":\"CLEANUP\",\"name\":\"second\",\"status\":\"FAILED\"")
                    .contains("second fails to close")
                    .contains("{\"phase\":\"CLEANUP\",\"name\":\"first\",\"status\":\"OK\"");
        }
    }

    @Test
    void aSecondSigterm_skipsTheRestOfTheGrace() throws Exception {
        try (var child = ChildJvm.start("escalate", dir.resolve("state.txt"))) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            child.awaitPrefix("PHASE_START READINESS"); // now in a 20 s pre-drain delay
            child.signal("TERM");
            assertThat(child.waitFor()).as(child.output()).isZero();
            assertThat(child.output()).contains("PHASE_END READINESS readiness DRAINING, pre-drain delay cut short");
            assertThat(child.awaitPrefix("REPORT ")).contains("\"escalated\":true");
        }
    }

    @Test
    void aThirdSigterm_dumpsThreadsAndHalts() throws Exception {
        try (var child = ChildJvm.start("escalate-block-persist", dir.resolve("state.txt"))) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            child.awaitPrefix("PHASE_START READINESS");
            child.signal("TERM");
            child.awaitPrefix("PERSIST "); // the state hook is now stuck
            child.signal("TERM");
            assertThat(child.waitFor()).isEqualTo(ShutdownReport.HALTED_EXIT_CODE);
            assertThat(child.stderr()).contains("quiesce thread dump (SIGTERM received a third time)")
                    .contains("quiesce-persist-state");
            assertThat(child.output()).doesNotContain("REPORT ");
        }
    }

    @Test
    void aSequenceThatExceedsTheBudget_isHaltedByTheWatchdog_withAThreadDump() throws Exception {
        try (var child = ChildJvm.start("stuck-listener", dir.resolve("state.txt"))) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            assertThat(child.waitFor()).as(child.output()).isEqualTo(ShutdownReport.HALTED_EXIT_CODE);
            assertThat(child.output()).contains("PHASE_START PERSIST").doesNotContain("REPORT ");
            assertThat(child.stderr()).contains("quiesce thread dump (watchdog: the shutdown sequence exceeded "
                    + "its budget, in phase PERSIST)").contains("\"quiesce-shutdown\"");
        }
    }

    @Test
    void sighup_runsReloadHooks_andTheServiceKeepsServing() throws Exception {
        try (var child = ChildJvm.start("reload", dir.resolve("state.txt"))) {
            assertThat(child.awaitPrefix("SIGNALS")).contains("HUP=HANDLED");
            child.awaitPrefix("READY");
            child.signal("HUP");
            assertThat(child.awaitPrefix("RELOAD")).isEqualTo("RELOAD readiness=SERVING");
            child.signal("HUP");
            child.await(l -> l.startsWith("RELOAD") && child.lines().stream().filter(x -> x.startsWith("RELOAD")).count() == 2);
            assertThat(child.isAlive()).isTrue();
            assertThat(child.output()).doesNotContain("PHASE_START");
            child.signal("TERM");
            assertThat(child.waitFor()).isZero();
        }
    }

    @Test
    void aMainThatDiesInStartup_runsTheSequence_andExitsOne_insteadOfLeavingTheProcessUp() throws Exception {
        Path state = dir.resolve("state.txt");
        Files.writeString(state, "units=41\n"); // what the previous run left
        try (var child = ChildJvm.start("starter-fails", state)) {
            // no signal: the coordinator is not a daemon, so without Quiesce watching main the child would
            // stay up with its workers running until the test's timeout
            assertThat(child.waitFor()).as(child.output() + child.stderr()).isEqualTo(1);
            assertThat(child.stderr()).as("the thread's own handler still ran")
                    .contains("Exception in thread \"main\" java.lang.IllegalStateException: cannot listen on port 8080");
            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
            assertThat(child.output()).contains("PHASE_END TRIGGER explicit: thread main ended with "
                    + "java.lang.IllegalStateException: cannot listen on port 8080: address already in use "
                    + "(STARTER_FAILED)");
            assertThat(child.awaitPrefix("REPORT ")).contains("\"trigger\":\"STARTER_FAILED\"")
                    .contains("\"outcome\":\"SERVICE_FAILED\"").contains("\"exitCode\":1");
            assertThat(child.lines().stream().filter(l -> l.startsWith("WORKER ")).toList()).hasSize(3);
            // a start that failed does no harm: the previous run's state is kept, the state hook is skipped
            assertThat(Files.readString(state)).isEqualTo("units=41\n");
            assertThat(child.output()).doesNotContain("PERSIST budget");
            assertThat(child.awaitPrefix("REPORT ")).contains("{\"phase\":\"PERSIST\",\"name\":\"state\",\"status\":\"SKIPPED\"")
                    .contains("never became ready");
        }
    }

    @Test
    void withoutSignalHandlers_theJvmShutdownHookRunsTheSequence() throws Exception {
        Path state = dir.resolve("state.txt");
        try (var child = ChildJvm.start("nosignals", state)) {
            child.awaitPrefix("READY");
            child.signal("TERM");
            // the JVM's own SIGTERM handling exits with 128+15; the sequence still ran in its shutdown hook
            assertThat(child.waitFor()).isEqualTo(143);
            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
            assertThat(child.output()).contains("(JVM_SHUTDOWN)");
            assertThat(state).exists();
            // the report does not claim an exit code of its own: the JVM's (143) stands
            assertThat(child.awaitPrefix("REPORT ")).contains("\"exitCode\":" + ShutdownReport.EXIT_CODE_OF_THE_JVM);
        }
    }

    @Test
    void aSecondShutdownHandlingSignals_isRefused_soTheFirstKeepsThem() throws Exception {
        try (var child = ChildJvm.start("two-shutdowns", dir.resolve("state.txt"))) {
            assertThat(child.awaitPrefix("SECOND ")).contains("IllegalStateException")
                    .contains("already handles signals in this JVM");
            child.awaitPrefix("READY");
            child.signal("TERM");
            assertThat(child.waitFor()).as(child.output()).isZero();
            assertThat(phaseStarts(child)).containsExactlyElementsOf(PHASES_IN_ORDER);
        }
    }

    @Test
    void sigkillDuringStateWrites_neverLeavesATornFile() throws Exception {
        Path state = dir.resolve("state.bin");
        int runs = Integer.getInteger("quiesce.kill.runs", 12);
        for (int i = 0; i < runs; i++) {
            try (var child = ChildJvm.start("atomic-writer", state)) {
                child.awaitPrefix("WRITING");
                // a random moment in the writing loop: randomisation, not synchronisation
                Thread.sleep(ThreadLocalRandom.current().nextInt(1, 40));
                child.signal("KILL");
                assertThat(child.waitFor()).isEqualTo(137);
            }
            assertThat(ShutdownFixture.contentKind(Files.readAllBytes(state))).as("run %d", i).isIn("a", "b");
        }
    }

    private static int indexOf(ChildJvm child, String prefix) throws InterruptedException {
        String line = child.awaitPrefix(prefix);
        return child.lines().indexOf(line);
    }
}
