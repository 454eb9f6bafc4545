package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every numbered sample as a user runs it ({@code java -cp quiesce-demo.jar <sample>}, in a child
 * JVM) and checks what it prints, writes and exits with, so that a broken sample breaks the build. Order
 * and outcomes are asserted, never durations.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SamplesIT {

    private static final List<String> PHASES = List.of("TRIGGER", "READINESS", "STOP_ACCEPTING", "DRAIN", "CANCEL",
            "ABANDON", "PERSIST", "CLEANUP", "REPORT");

    @TempDir
    Path dir;

    @Test
    void sample01_sigtermToItself_isOnlyQueuedByTheHandler_andTheCoordinatorRunsEveryPhase_thenExitsZero()
            throws Exception {
        SampleRun run = SampleRun.run("Sample01_SignalHandling");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.line("signal handling: ")).contains("TERM=HANDLED");
        List<String> phaseLines = run.linesStartingWith("phase ");
        assertThat(phaseLines).as(run.describe())
                .containsExactlyElementsOf(PHASES.stream().map(p -> "phase " + p + " on thread quiesce-shutdown").toList());
        run.assertInOrder("ready; sending SIGTERM to myself",
                "phase DRAIN",
                "worker: stop requested, finished the current unit and returned (thread /sample01/worker)",
                "phase CANCEL",
                "phase CLEANUP",
                "cleanup: connection closed",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "exiting with code 0");
    }

    @Test
    void sample02_cancellingTheRoot_stopsEveryLevel_withTheReasonEachLevelSees_andOneSubtaskCancelsAlone()
            throws Exception {
        SampleRun run = SampleRun.run("Sample02_CancellationTree");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        String out = run.output();
        String before = out.substring(out.indexOf("the tree before the cancel:"), out.indexOf("cancelling /shop"));
        assertThat(before).contains("/shop [OPEN]", "/shop/orders [JOINED]", "/shop/orders/lines [JOINED]",
                "/shop/payments [JOINED]").doesNotContain("cancelled");
        run.assertInOrder("cancelling /shop from main",
                "join: CancelledException: scope /shop was cancelled: explicit: rolling update",
                "what each level saw:",
                "  /shop sees Explicit: explicit: rolling update",
                "  /shop/orders sees ParentCancelled: parent /shop cancelled (explicit: rolling update)",
                "  /shop/orders/lines sees ParentCancelled: parent /shop/orders cancelled (explicit: rolling update)",
                "  /shop/payments sees ParentCancelled: parent /shop cancelled (explicit: rolling update)",
                "6 of 6 workers stopped",
                "the tree after the join:",
                "  /shop [JOINED, cancelled: explicit: rolling update] owner=main",
                "open scopes after close: 0",
                "cancelling subtask b alone: true",
                "b: CANCELLED",
                "a: SUCCESS (a done)",
                "c: SUCCESS (c done)",
                "scope cancelled: false",
                "join returned 2 successful subtasks");
    }

    @Test
    void sample03_drainsEverySlowRequestAfterSigterm_andTheNaiveServerDropsThem() throws Exception {
        SampleRun run = SampleRun.run("Sample03_HttpConnectionDraining");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("wrong: 20 requests of 1500 ms in flight on a plain HttpServer (child JVM); sending it SIGTERM",
                "  wrong child: shutdown hook: server.stop(0) with 20 requests in flight",
                "wrong: the child exited with code 143",
                "wrong: 0 of 20 answered, 20 failed: the connection closed without a response",
                "right: 20 requests of 1500 ms in flight on a DrainingHttpServer; sending SIGTERM to myself",
                "right: phase READINESS: /health/ready answers 503",
                "right: a request sent during the pre-drain delay: accepted, 21 in flight",
                "right: phase STOP_ACCEPTING: closing the listening socket",
                "right: phase DRAIN: the requests in flight run to the end",
                "right: a new connection during DRAIN: refused (the client retries on another replica)",
                "right: 20 of 20 answered 200",
                "right: the request sent during the pre-drain delay answered 200, with Connection: close",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "  requests: 20 in flight at trigger, 21 drained, 0 cancelled; tasks cancelled: 0",
                "verdict: stop(0) drops every request in flight; the draining server answers all 21 and exits 0");
        assertThat(run.linesStartingWith("right: phase ")).as("only these phases are printed before the report")
                .hasSize(3);
        assertThat(run.lines().getLast()).startsWith("verdict: ");
    }

    @Test
    void sample04_releasesResourcesInReverse_andReportsTheFailedAndHungOnes() throws Exception {
        SampleRun run = SampleRun.run("Sample04_ResourceCleanup");
        // The shutdown's outcome is HOOKS_FAILED (exit code 3); the sample uses ExitPolicy.RETURN and exits 0.
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("wrong: closing db-pool",
                "wrong: a request still being served failed: pool is closed",
                "wrong: closing cache",
                "wrong: cleanup stopped at the first failure: java.lang.IllegalStateException: cache flush failed",
                "wrong: released [db-pool], never closed [message-broker, http-server, metrics]");
        assertThat(run.linesStartingWith("right: closing ")).as(run.describe()).containsExactly(
                "right: closing metrics", "right: closing http-server", "right: closing message-broker (hangs)",
                "right: closing cache", "right: closing db-pool");
        assertThat(run.line("right: released "))
                .isEqualTo("right: released [metrics, http-server, db-pool]; message-broker TIMED_OUT, cache FAILED");
        assertThat(run.output())
                .contains("outcome HOOKS_FAILED, exit code 3")
                .contains("  hook CLEANUP metrics: OK")
                .contains("  hook CLEANUP message-broker: TIMED_OUT in ")
                .contains("(did not return within 300 ms; interrupted and abandoned)")
                .contains("  hook CLEANUP cache: FAILED in ")
                .contains("(java.lang.IllegalStateException: cache flush failed)")
                .contains("  hook CLEANUP db-pool: OK")
                .contains("outcome HOOKS_FAILED: a service would exit with code 3");
        assertThat(run.lines().getLast()).isEqualTo("verdict: wrong leaks 3 resources and stops at the first "
                + "failure; right releases every resource it can and reports the 2 it could not");
    }

    @Test
    void sample05_fullPipeline_drainsTheRequestsInFlightAtSigterm_persistsAtomically_closesInReverse_exitsZero()
            throws Exception {
        Path state = dir.resolve("state.properties");
        SampleRun run = SampleRun.run("Sample05_FullOrchestration", state.toString());
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.linesStartingWith("[phase] ").stream().filter(l -> !l.contains(" ended: ")).toList())
                .containsExactlyElementsOf(Stream.concat(PHASES.stream(), Stream.of("EXIT"))
                        .map(p -> "[phase] " + p).toList());
        run.assertInOrder("readiness: SERVING",
                "sending SIGTERM to myself",
                "[phase] TRIGGER ended: signal SIGTERM (SIGNAL), 3 in flight",
                "readiness: DRAINING",
                "[phase] READINESS ended: readiness DRAINING, pre-drain delay 200 ms",
                "listener: stopped accepting",
                "[phase] DRAIN",
                "http: stopped accepting, 3 requests joined",
                "[phase] DRAIN ended: drained: 3 requests completed, services returned",
                "[phase] CANCEL ended: nothing left to cancel",
                "readiness: STOPPED",
                "[phase] ABANDON ended: no stragglers",
                "persist: budget ",
                "[phase] PERSIST ended: 1 state hooks, 1 ok",
                "cleanup: http-client closed",
                "cleanup: db-pool closed",
                "[phase] CLEANUP ended: 2 resources, closed in reverse order, 2 ok",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "  requests: 3 in flight at trigger, 3 drained, 0 cancelled; tasks cancelled: 0",
                "state file: requests.completed=3 jobs.offset=",
                "exiting with code 0");
        int drainStart = run.indexOf("[phase] DRAIN");
        int joined = run.indexOf("http: stopped accepting");
        assertThat(run.linesStartingWith("request ").stream().filter(l -> l.endsWith(" completed")).toList())
                .hasSize(3)
                .allSatisfy(l -> assertThat(run.lines().indexOf(l)).isLessThan(joined));
        assertThat(run.lines().indexOf(run.line("consumer: stop requested"))).isGreaterThan(drainStart);
        assertThat(Files.readString(state)).startsWith("requests.completed=3\njobs.offset=");
    }

    @Test
    void sample06_readinessAnswers503AndLivenessStays200UntilTheListenerCloses_andWithoutAPreDrainDelayTrafficIsRefused()
            throws Exception {
        SampleRun run = SampleRun.run("Sample06_HealthAwareShutdown");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        // What the load balancer sees, once per change; only the remaining budget differs between runs.
        List<String> lines = run.lines().stream()
                .map(l -> l.replaceAll("\"remainingMillis\":\\d+", "\"remainingMillis\":N")).toList();
        assertThat(lines).as(run.describe()).containsExactly(
                "load balancer: health check every 500 ms, out of rotation after 2 failed checks",
                "wrong: preDrainDelay 0 ms < 500 ms x 2",
                "wrong: check 1: ready 200; live 200; in rotation",
                "wrong: check 1: forwarded request answered 200",
                "wrong: SIGTERM just after check 1, with 1 slow request in flight",
                "wrong: check 2: ready refused; live refused",
                "wrong: check 2: failed checks: 1 of 2, still in rotation",
                "wrong: check 2: forwarded request refused",
                "wrong: check 3: failed checks: 2 of 2, out of rotation",
                "wrong: after SIGTERM the load balancer forwarded 1 request: 0 answered, 1 refused",
                "wrong: the request in flight at SIGTERM answered 200; shutdown outcome CLEAN",
                "right: preDrainDelay 1200 ms >= 500 ms x 2",
                "right: check 1: ready 200; live 200; in rotation",
                "right: check 1: forwarded request answered 200",
                "right: SIGTERM just after check 1, with 1 slow request in flight",
                "right: check 2: ready 503, Retry-After: 1, "
                        + "{\"status\":\"DRAINING\",\"phase\":\"READINESS\",\"inFlight\":1,"
                        + "\"remainingMillis\":N}; live 200",
                "right: check 2: failed checks: 1 of 2, still in rotation",
                "right: check 3: failed checks: 2 of 2, out of rotation",
                "right: check 4: ready refused; live refused",
                "right: after SIGTERM the load balancer forwarded 1 request: 1 answered, 0 refused",
                "right: the request in flight at SIGTERM answered 200; shutdown outcome CLEAN",
                "verdict: without a pre-drain delay the load balancer sends traffic into a closed listener; "
                        + "with one it sees 503 and stops first");
    }

    @Test
    void sample07_trackerDrainsToZero_orReportsWhatIsLeftAtTheDeadline_andATicketLeakedOnFailureNeverDrains()
            throws Exception {
        SampleRun run = SampleRun.run("Sample07_InFlightCounting");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("drain: 5 in flight, stop accepting, awaitIdle(2 s)",
                "drain: idle before the deadline: true; in flight 0, completed 5",
                "deadline: 3 in flight, awaitIdle(500 ms)",
                "deadline: idle before the deadline: false; still in flight: 1 (the 10 s request)",
                "deadline: cancelling the requests' scope",
                "deadline: after cancel: in flight 0, completed 2, cancelled 1",
                "wrong: nothing is running, yet in flight = 1; idle within 300 ms: false",
                "right: nothing is running, in flight = 0; idle within 300 ms: true",
                "verdict: wrong leaks a ticket on the failure path and every drain waits out its deadline; "
                        + "right closes it on every path");
    }

    @Test
    void sample08_plainWriteLeavesATornFile_atomicWriteNever_andEachStateHookSeesItsBudget() throws Exception {
        SampleRun run = SampleRun.run("Sample08_StatePersistence", dir.toString());
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("wrong: the process died halfway through Files.writeString",
                "wrong: the file now holds 20 of 41 bytes, no END marker: torn, the old state is lost too",
                "right: 50 atomic rewrites while a reader read the file 50+ times: 0 torn reads",
                "right: the file holds a whole version: orders=",
                "persist: PERSIST phase started, after the work drained");
        assertThat(run.line("persist: hook orders was given ")).endsWith("within the 1000 ms persist budget: true");
        assertThat(run.line("persist: hook cursor was given ")).endsWith("within its own 300 ms timeout: true");
        run.assertInOrder("persist: hook orders OK", "persist: hook cursor OK",
                "persist: orders.state = orders=42,43,44 END",
                "persist: cursor.state = cursor=44 END",
                "verdict: wrong leaves a torn file when the process dies mid-write; right leaves the old or the new "
                        + "state, never a mix");

        assertThat(Files.readString(dir.resolve("wrong.state"))).doesNotContain("END");
        assertThat(Files.readString(dir.resolve("right.state"))).endsWith(" END\n");
        assertThat(Files.readString(dir.resolve("orders.state"))).isEqualTo("orders=42,43,44 END\n");
        assertThat(Files.readString(dir.resolve("cursor.state"))).isEqualTo("cursor=44 END\n");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary files left behind")
                    .containsExactlyInAnyOrder("wrong.state", "right.state", "orders.state", "cursor.state");
        }
    }

    @Test
    void sample09_theEarliestDeadlineWins_aChildAsksWhatIsLeft_andExpiryThrowsDeadlineExceeded() throws Exception {
        SampleRun run = SampleRun.run("Sample09_Deadlines");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder(
                "inventory asked for 5 s inside a 2 s request: its deadline is the request's: true; "
                        + "remaining at most 2 s: true",
                "pricing asked for 300 ms: its deadline is its own, earlier than the request's: true",
                "after the mandatory call: enough time left for recommendations (1 s): true",
                "after recommendations: enough time left for reviews (1 s): false, skipped",
                "supplier task interrupted: Deadline: deadline of /supplier passed",
                "join threw DeadlineExceededException, reason Deadline; using the cached price instead",
                "grandchild interrupted: ParentCancelled, root reason Deadline",
                "root join threw DeadlineExceededException: scope /batch did not complete before its deadline");
    }

    @Test
    void sample10_aJdkScopeInsideAQuiesceTask_andAQuiesceScopeInsideAJdkSubtask_areCancelledWithTheirParent()
            throws Exception {
        SampleRun run = SampleRun.runWith(List.of("--enable-preview"), "Sample10_JdkStructuredTaskScopeInterop");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("jdk inside quiesce: 3 JDK subtasks running; cancelling the Quiesce scope /orders",
                "jdk inside quiesce: the JDK join() threw InterruptedException",
                "jdk inside quiesce: 3 of 3 JDK subtasks interrupted; Quiesce join threw CancelledException "
                        + "(explicit: rolling update)",
                "quiesce inside jdk: 3 Quiesce leaves running; a sibling JDK subtask fails",
                "quiesce inside jdk: the JDK join() threw StructuredTaskScope.FailedException caused by "
                        + "IllegalStateException: payment service down",
                "quiesce inside jdk: 3 of 3 Quiesce leaves interrupted; the Quiesce scope was cancelled with "
                        + "OwnerInterrupted");
    }

    @Test
    void sample10_needsEnablePreview_andIsTheOnlyClassInTheJarCompiledWithPreview() throws Exception {
        SampleRun run = SampleRun.run("Sample10_JdkStructuredTaskScopeInterop");
        assertThat(run.exitCode()).as(run.describe()).isNotZero();
        assertThat(run.stderr()).contains("Preview features are not enabled");

        List<String> preview = new ArrayList<>();
        try (var jar = new JarFile(SampleRun.demoJar().toFile())) {
            for (JarEntry e : Collections.list(jar.entries())) {
                if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                    try (var in = new DataInputStream(jar.getInputStream(e))) {
                        in.readInt(); // magic
                        if (in.readUnsignedShort() == 0xFFFF) { // minor version: preview features
                            preview.add(e.getName());
                        }
                    }
                }
            }
        }
        assertThat(preview).containsExactly("dev/quiesce/samples/Sample10_JdkStructuredTaskScopeInterop.class");
    }

    @Test
    void sample11_broadcastWatchTokenJoinSetAndMpsc_eachDeliverTheShutdownSignalTheirWay() throws Exception {
        SampleRun run = SampleRun.run("Sample11_ChannelsCompared");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.lines()).containsExactly(
                "broadcast: 3 of 3 subscribers woke up; a late subscriber also sees it: true",
                "watch: a slow reader sees only the latest value: DRAINING; await(DRAINING) returns at once: true",
                "token: the worker saw the soft stop and returned; 2 levels cancelled with reason: explicit: shutdown",
                "join set: a=SUCCESS b=FAILED c=SUCCESS; the failure did not cancel its siblings",
                "mpsc: consumer processed 9 of 9 messages from 3 producers, then the poison pill; nothing lost "
                        + "(consumer SUCCESS)");
    }

    @Test
    void sample12_systemExitInAShutdownHook_hangsUntilSigkill_whileANotifyOnlyHandlerExitsZero() throws Exception {
        SampleRun run = SampleRun.run("Sample12_PitfallBlockingInSignalHandler");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("wrong: child started; sending it SIGTERM",
                "  wrong child: hook: cleaning up in the JVM shutdown hook",
                "  wrong child: hook: calling System.exit(0) to get exit code 0",
                "  wrong child: diagnostic: the hook thread is BLOCKED in java.lang.Shutdown.exit",
                "wrong: still alive 2 s after SIGTERM",
                "wrong: killed with SIGKILL, as Kubernetes does when terminationGracePeriodSeconds runs out; "
                        + "exit code 137",
                "right: child started; sending it SIGTERM",
                "  right child: cleanup: flushing state in the CLEANUP phase, on thread quiesce-cleanup-state",
                "  right child: cleanup: shutdown.exit(0) from inside a hook returned at once",
                "  right child: report: outcome CLEAN, exit code 0",
                "right: exited by itself with exit code 0",
                "verdict: wrong hangs until SIGKILL (exit 137); right runs the ordered sequence and exits 0");
        assertThat(run.output()).doesNotContain("never printed");
    }

    @Test
    void sample13_fireAndForgetVirtualThreadsDieWithTheJvm_whileForkedAndJoinedOnesAllFinish() throws Exception {
        SampleRun run = SampleRun.run("Sample13_PitfallNotJoiningTasks");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.linesStartingWith("  wrong child: ")).as(run.describe())
                .containsExactly("  wrong child: main: started 3 order writers with Thread.ofVirtual().start; returning");
        assertThat(run.linesStartingWith("  right child: order ")).containsExactlyInAnyOrder(
                "  right child: order 1 saved", "  right child: order 2 saved", "  right child: order 3 saved");
        run.assertInOrder("wrong: 0 of 3 orders saved: the JVM exited when main returned",
                "  right child: main: forked 3 order writers into scope /orders; joining",
                "  right child: main: every writer joined; returning",
                "right: 3 of 3 orders saved",
                "verdict: fire-and-forget loses work at exit; a scope that is joined loses none");
    }

    @Test
    void sample14_aThreadOutsideTheTreeSurvivesTheCancel_andASwallowedInterruptIsReportedAsAStraggler()
            throws Exception {
        SampleRun run = SampleRun.run("Sample14_PitfallCancellationNotPropagated");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.lines()).containsExactly(
                "wrongEscape: service cancelled and closed; its helper thread still running: true",
                "rightChildScope: service cancelled and closed; its helper was interrupted: true, helper state: CANCELLED",
                "wrongSwallow: worker: interrupted, retrying",
                "wrongSwallow: 1 straggler: thread /poller in scope /poller, interrupted but still running, "
                        + "stuck in wrongSwallow",
                "rightRestore: worker: interrupted, stopping",
                "rightRestore: 0 stragglers; the worker stopped when cancelled",
                "verdict: wrong leaves a helper running and a straggler behind; right stops everything it started");
        assertThat(run.stderr()).as("Quiesce logs the straggler with its stack").contains("/poller")
                .contains("wrongSwallow");
    }

    @Test
    void sample15_aGraceShorterThanP99CancelsRequestsThatWouldHaveFinished_andTheBuilderRefusesABudgetOverK8s()
            throws Exception {
        SampleRun run = SampleRun.run("Sample15_PitfallGraceShorterThanP99");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        assertThat(run.line("rule: refused: ")).contains("the shutdown phases need 31000 ms")
                .contains("leaves 28000 ms").contains("shorten gracePeriod")
                .contains("raise the platform budget (terminationGracePeriodSeconds)");
        run.assertInOrder("rule: refused: ",
                "rule: accepted with terminationGracePeriodSeconds 35: platform budget 35000 ms - margin 2000 ms",
                "workload: 100 requests, p50 152 ms, p99 1500 ms, max 1500 ms",
                "wrong: grace 700 ms < p99 1500 ms: 97 drained, 3 cancelled (latencies [1500, 1500, 1500] ms); "
                        + "outcome FORCED, exit code 2",
                "right: grace 2500 ms > p99 1500 ms: 100 drained, 0 cancelled; outcome CLEAN, exit code 0",
                "verdict: a grace shorter than the p99 cancels requests that would have finished; size it on the tail");
    }

    @Test
    void sample16_jettysStopCutsTheRequestsInFlightAndAKeptAliveClient_whileQuiesceJettyAnswersEveryOne()
            throws Exception {
        SampleRun run = SampleRun.run("Sample16_JettyDraining");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        run.assertInOrder("wrong: 20 requests of 1500 ms in flight on a plain Jetty Server, a kept-alive client idle;"
                        + " server.stop()",
                "wrong: 0 of 20 answered, 20 cut: the connection closed without a response",
                "wrong: the kept-alive client's next request: the connection was closed under it, no response",
                "right: 20 requests of 1500 ms in flight on QuiesceJetty, a kept-alive client idle; sending SIGTERM to"
                        + " myself",
                "right: phase DRAIN: the requests in flight run to the end",
                "right: the kept-alive client's next request: answered 200, with Connection: close, then a clean close",
                "right: a new connection during DRAIN: refused (the client retries on another replica)",
                "right: 20 of 20 answered 200",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "  ingress jetty (HTTP/1.1+h2c on 127.0.0.1:",
                "verdict: Jetty's stop() cuts all 20 requests in flight and the kept-alive client's next one; "
                        + "QuiesceJetty answers all 21 and exits 0");
        assertThat(run.line("  ingress jetty ")).endsWith(": 22 accepted, 22 completed (21 while draining), 0 cancelled,"
                + " 0 in flight");
        assertThat(run.lines().getLast()).startsWith("verdict: ");
    }

    @Test
    void sample17_grpcShutdownNowCutsTheCallsAndStreamsInFlight_whileQuiesceGrpcCompletesEveryOneWithOk()
            throws Exception {
        SampleRun run = SampleRun.run("Sample17_GrpcDraining");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        // the numbers: shutdownNow() cuts every call and stream (CANCELLED); Quiesce completes all 12 with OK
        assertThat(run.linesStartingWith("wrong: ")).as(run.describe()).containsExactly(
                "wrong: 10 unary calls of 1500 ms and 2 server streams in flight on a plain grpc-java Server;"
                        + " server.shutdownNow()",
                "wrong: 0 of 10 unary calls answered OK, 10 cut: {CANCELLED=10}",
                "wrong: 0 of 2 streams ended OK, 2 cut mid-stream: {CANCELLED=2}");
        assertThat(run.linesStartingWith("right: ")).as(run.describe()).containsExactly(
                "right: 10 unary calls of 1500 ms and 2 server streams in flight on QuiesceGrpc; sending SIGTERM to"
                        + " myself",
                "right: phase DRAIN: the calls in flight run to the end, the streams are asked to stop",
                "right: a new call during DRAIN: UNAVAILABLE (the client retries on another replica)",
                "right: 10 of 10 unary calls answered OK",
                "right: 2 of 2 streams ended OK after their soft stop, each after some ticks");
        run.assertInOrder("right: 2 of 2 streams", "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "  requests: 12 in flight at trigger, 12 drained, 0 cancelled; tasks cancelled: 0");
        assertThat(run.line("  ingress grpc (gRPC on 127.0.0.1:")).endsWith(": 12 accepted, 12 completed (12 while"
                + " draining), 0 cancelled, 0 in flight");
        assertThat(run.lines().getLast()).isEqualTo("verdict: shutdownNow() cuts all 10 unary calls and 2 streams in"
                + " flight; QuiesceGrpc completes all 12 with OK and exits 0");
    }

    @Test
    void sample18_aRehearsalInVirtualTime_catchesThePoolClosedBeforeTheOutboxHook() throws Exception {
        SampleRun run = SampleRun.run("Sample18_TestingYourShutdown");
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.linesStartingWith("right: timeline: ")).as("the exact virtual offsets").singleElement()
                .asString().startsWith("right: timeline: TRIGGER +0 ms, READINESS +0 ms (5000 ms), STOP_ACCEPTING +5000 ms")
                .endsWith("REPORT +5000 ms; virtual total 5000 ms");
        List<String> wrong = List.of("wrong: the db pool closes when the service stops accepting",
                "wrong: what the service did: [db pool closed, consumer stopped]",
                "wrong: hook PERSIST outbox: FAILED (java.lang.IllegalStateException: pool is closed: 3 orders not sent)",
                "wrong: outcome HOOKS_FAILED, exit code 3");
        List<String> right = List.of("right: the db pool closes in CLEANUP, registered first so that it closes last",
                "right: what the service did: [consumer stopped, outbox sent 3 orders, db pool closed]",
                "right: outcome CLEAN, exit code 0");
        assertThat(run.lines()).containsSubsequence(wrong).containsSubsequence(right).last().isEqualTo(
                "verdict: the rehearsal catches the wrong wiring (exit code 3, the outbox hook FAILED) in a unit test, "
                        + "in virtual time; the right wiring exits 0");
    }

    /**
     * The README's way to run a sample, {@code ./demo.sh sample <Name>}, on a machine whose default java (on
     * PATH and in JAVA_HOME) is a JDK 17: the script finds a JDK 25 itself. The JDK 17 here is a stand-in that
     * reports version 17 and fails if it is ever used to run anything.
     */
    @Test
    void aSampleRunThroughDemoSh_whereTheDefaultJavaIs17_runsOnJdk25() throws Exception {
        Path script = Path.of("..", "demo.sh").toAbsolutePath().normalize();
        assertThat(script).as("the repository's demo script").isRegularFile();
        Path jdk17 = dir.resolve("jdk-17");
        Files.createDirectories(jdk17.resolve("bin"));
        for (String tool : new String[] {"java", "javac"}) {
            Path exe = jdk17.resolve("bin").resolve(tool);
            Files.writeString(exe, """
                    #!/bin/sh
                    if [ "$1" = "-version" ]; then echo 'openjdk version "17.0.12" 2024-07-16' >&2; exit 0; fi
                    echo "JDK 17 was used: UnsupportedClassVersionError" >&2; exit 97
                    """);
            exe.toFile().setExecutable(true);
        }
        Path jdk25 = Path.of(System.getProperty("java.home"));
        String home = System.getProperty("user.home");
        // bin/jdk25.sh searches /usr/lib/jvm, /opt/java and ~/.sdkman; a JDK 25 elsewhere is found through
        // JAVA_HOME only, so then this run keeps the default java on PATH at 17 but JAVA_HOME at 25
        boolean findable = jdk25.startsWith("/usr/lib/jvm") || jdk25.startsWith("/opt/java")
                || jdk25.startsWith(Path.of(home, ".sdkman", "candidates", "java"));
        var env = new java.util.HashMap<String, String>();
        env.put("PATH", jdk17.resolve("bin") + java.io.File.pathSeparator + System.getenv("PATH"));
        env.put("JAVA_HOME", findable ? jdk17.toString() : jdk25.toString());
        env.put("QUIESCE_DEMO_JAR", SampleRun.demoJar().toAbsolutePath().toString()); // built by this build: no rebuild
        SampleRun run = SampleRun.exec("demo.sh sample", List.of("bash", script.toString(), "sample",
                "Sample01_SignalHandling"), env);
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.stderr()).doesNotContain("JDK 17 was used");
        run.assertInOrder("ready; sending SIGTERM to myself",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "exiting with code 0");

        SampleRun byNumber = SampleRun.exec("demo.sh sample 1", List.of("bash", script.toString(), "sample", "1"), env);
        assertThat(byNumber.exitCode()).as(byNumber.describe()).isZero();
        assertThat(byNumber.output()).contains("exiting with code 0");
        SampleRun unknown = SampleRun.exec("demo.sh sample x", List.of("bash", script.toString(), "sample", "NoSuch"),
                env);
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.stderr()).contains("no sample 'NoSuch'").contains("Sample15_PitfallGraceShorterThanP99");
    }

    @Test
    void sample19_aRequestsMdcAndTraceFollowItsForks_throughAShutdown_andEverySpanIsExportedInTheFlush()
            throws Exception {
        SampleRun run = SampleRun.run("Sample19_TelemetryThroughShutdown");
        assertThat(run.exitCode()).as(run.describe()).isZero();

        for (String lookup : List.of("lookup order", "lookup customer")) { // the two forks run in either order
            assertThat(run.line(lookup + ": ")).as(run.describe()).isEqualTo(lookup
                    + ": request=r-1, in the request's trace: true, parent is the request's span: true");
        }
        run.assertInOrder("handler: request=r-1, span GET /orders/7 started",
                "unrelated virtual thread: request=null, a span: false",
                "shutdown started with the request in flight",
                "handler: request=r-1, answered",
                "exported in TELEMETRY_FLUSH: GET /orders/7 (request trace, root)",
                "exported in TELEMETRY_FLUSH: quiesce.shutdown.trigger (shutdown trace)",
                "exported in TELEMETRY_FLUSH: quiesce.shutdown.drain (shutdown trace)",
                "exported in TELEMETRY_FLUSH: quiesce.shutdown.report (shutdown trace)",
                "exported in TELEMETRY_FLUSH: quiesce.shutdown (shutdown trace, root)",
                "exporter closed in TELEMETRY_FLUSH: 3 request spans and 10 shutdown spans exported, none before "
                        + "the flush",
                "requests: 1 in flight at the trigger, 1 drained; outcome CLEAN, exit code 0; "
                        + "telemetry flush: [opentelemetry OK]");
        assertThat(run.linesStartingWith("exported in ")).as(run.describe()).hasSize(13)
                .allSatisfy(l -> assertThat(l).startsWith("exported in TELEMETRY_FLUSH: "));
    }
}
