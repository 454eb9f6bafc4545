package dev.quiesce.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Threads;
import dev.quiesce.shutdown.InFlightTracker;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every code example of the Javadoc and the README (the regions of the classes in this package),
 * so that an example that no longer compiles, throws or does something else than its text says fails
 * the build. Whole services (a {@link Shutdown} with signal handlers and the exit policy EXIT) run in a
 * child JVM that gets a real SIGTERM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SnippetsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ Javadoc

    @Test
    void scope_forksBoth_andReturnsTheirResults() throws Exception {
        assertThat(ScopeSnippets.fetchBoth()).isEqualTo("user-7 order-9");
    }

    @Test
    void scopeConfig_runsTheTaskInTheNamedScope_withItsDeadline() throws Exception {
        var request = new ScopeSnippets.Request(null);
        ScopeSnippets.serve(request);
        assertThat(request.seen).containsExactly("scope /http, deadline true");
    }

    @Test
    void shield_aCancelledConsumerFlushesWhatItHas_withoutBeingInterrupted() throws Exception {
        var queue = new LinkedBlockingQueue<String>();
        var store = new ScopeSnippets.Store();
        try (var scope = Scope.open(Joiner.awaitAll())) {
            scope.fork(() -> {
                ScopeSnippets.consume(queue, store);
                return null;
            });
            queue.add("a");
            Threads.awaitTrue(() -> store.items.size() == 1); // then it blocks in take() (or is about to)
            scope.cancel(CancelReason.explicit("test"));
            scope.join();
        } catch (dev.quiesce.CancelledException expected) {
            // join() after an explicit cancel
        }
        assertThat(store.flushed).containsExactly("a");
        assertThat(store.interruptedDuringFlush).isFalse();
    }

    @Test
    void inFlightTracker_countsTheRequestWhileItIsHandled() {
        var tracker = new InFlightTracker();
        var request = new ScopeSnippets.Request(tracker);
        ScopeSnippets.serve(tracker, request);
        assertThat(request.seen).containsExactly("scope none, deadline false, in flight 1");
        assertThat(tracker.inFlight()).isZero();
        assertThat(tracker.completed()).isEqualTo(1);
    }

    @Test
    void awaitStopRequested_thePeriodicJobTicks_andEndsAtTheDrain() throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        int before = ShutdownSnippets.TICKS.get();
        ShutdownSnippets.periodic(shutdown);
        shutdown.markReady();
        Threads.awaitTrue(() -> ShutdownSnippets.TICKS.get() > before); // then it waits out its 1 s interval
        shutdown.initiate("test");
        ShutdownReport report = shutdown.awaitTermination();
        assertThat(report.exitCode()).as(report.toJson()).isZero();
    }

    @Test
    void shutdown_theServiceRunsUntilSigterm_thenPersistsCleansUpAndExitsZero() throws Exception {
        Path state = dir.resolve("state.json");
        try (var jvm = SnippetJvm.start(ShutdownSnippets.class, state.toString())) {
            jvm.awaitLine("WORKING"); // start() has returned and the hooks are registered
            jvm.sigterm();
            assertThat(jvm.waitFor()).as(jvm.describe()).isZero();
            assertThat(jvm.output()).contains("CLOSED db-pool");
        }
        assertThat(Files.readString(state)).isEqualTo("{\"orders\":42}");
    }

    @Test
    void drainingHttpServer_servesTheRoute_andExitsZeroOnSigterm() throws Exception {
        try (var jvm = SnippetJvm.start(HttpSnippets.class, "0")) {
            String[] ready = jvm.awaitLine("READY ").split(" ");
            int port = Integer.parseInt(ready[1]);
            assertThat(get(port, "/work")).isEqualTo("200 done\n");
            assertThat(get(port, "/health/ready")).startsWith("200");
            assertThat(get(Integer.parseInt(ready[3]), "/health/ready")).startsWith("200");
            jvm.sigterm();
            assertThat(jvm.waitFor()).as(jvm.describe()).isZero();
        }
    }

    // ------------------------------------------------------------------ README

    @Test
    void readmeScopes_forksBoth_andReturnsTheirResults() throws Exception {
        assertThat(new ReadmeExamples().checkout("7")).isEqualTo("user-7 order-7");
    }

    @Test
    void readmeContext_theForkSeesTheMdcAndTheNamedScopedValue() throws Exception {
        try {
            assertThat(ScopedValue.where(ReadmeExamples.USER, "alice").call(() -> new ReadmeExamples().orderOf("r-1")))
                    .isEqualTo("order-alice/r-1");
        } finally {
            org.slf4j.MDC.clear();
        }
    }

    @Test
    void readmeShutdown_startsWithinItsBudget_servesHttp_andShutsDownCleanlyOnSigterm() throws Exception {
        Path state = dir.resolve("state.json");
        try (var jvm = SnippetJvm.start(ReadmeExamples.class, state.toString(), "0")) {
            int port = Integer.parseInt(jvm.awaitLine("READY ").substring("READY ".length()));
            assertThat(get(port, "/work")).isEqualTo("200 done\n");
            assertThat(get(port, "/health/ready")).startsWith("200");
            jvm.sigterm();
            assertThat(jvm.waitFor()).as(jvm.describe()).isZero();
            assertThat(jvm.output()).contains("CLOSED db-pool");
        }
        assertThat(Files.readString(state)).isEqualTo("{\"orders\":42}");
    }

    /** "status body" of a GET (HttpURLConnection: module java.base; these tests are patched into dev.quiesce). */
    private static String get(int port, String path) throws Exception {
        var c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
        try {
            int status = c.getResponseCode();
            var in = status < 400 ? c.getInputStream() : c.getErrorStream();
            return status + " " + (in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            c.disconnect();
        }
    }
}
