package dev.quiesce.samples;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * Sample 15, pitfall: a grace period shorter than the p99 request latency, and the Kubernetes rule.
 *
 * <p>The grace period is how long the shutdown lets in-flight work finish before it interrupts it. Sized
 * on the average ("requests take 150 ms, 1 s is plenty") it cancels exactly the requests that were
 * slowest to begin with, the ones a client has already waited longest for, at every deploy. With 100
 * requests in flight and a p99 of 1.5 s, a 700 ms grace cancels the three slow ones though each would have
 * finished 800 ms later. Size the grace on the tail: at least the p99 (better the p99.9 or the server's
 * request timeout) of the slowest endpoint that can be in flight, plus headroom.
 *
 * <p>The grace does not stand alone. Kubernetes sends SIGTERM, waits {@code terminationGracePeriodSeconds}
 * (default 30), then sends SIGKILL, so every phase must fit:
 * <pre>
 * terminationGracePeriodSeconds  &gt;  preDrainDelay + stopAcceptingBudget + gracePeriod + cancelGrace
 *                                    + persistBudget + cleanupBudget + margin
 * </pre>
 * (plus the time of a {@code preStop} hook, if the pod has one: it runs before SIGTERM, inside the same
 * period). {@link Shutdown.Builder#start()} checks this and refuses a configuration that does not fit,
 * naming the phase to shorten; raising the grace to the p99 often means raising
 * {@code terminationGracePeriodSeconds} too.
 *
 * <ol>
 *   <li>{@code kubernetesRule()}: a service whose slowest endpoint has a p99 of 12 s sets a 15 s grace;
 *       with the default 30 s and a 5 s pre-drain delay it does not fit, and the builder says so. With
 *       {@code terminationGracePeriodSeconds: 35} it fits.
 *   <li>{@code wrong()} and {@code right()}: the same 100 requests, with latencies generated
 *       deterministically (97 between 50 and 249 ms, 3 of 1500 ms), in flight when the shutdown starts;
 *       a 700 ms grace cancels 3, a 2500 ms grace drains all 100.
 * </ol>
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample15_PitfallGraceShorterThanP99
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * rule: refused: the shutdown phases need 31000 ms (...) but the platform budget 30000 ms minus the margin 2000 ms leaves 28000 ms: shorten gracePeriod ...
 * rule: accepted with terminationGracePeriodSeconds 35: platform budget 35000 ms - margin 2000 ms = 33000 ms for: ...
 * workload: 100 requests, p50 152 ms, p99 1500 ms, max 1500 ms
 * wrong: grace 700 ms &lt; p99 1500 ms: 97 drained, 3 cancelled (latencies [1500, 1500, 1500] ms); outcome FORCED, exit code 2
 * right: grace 2500 ms &gt; p99 1500 ms: 100 drained, 0 cancelled; outcome CLEAN, exit code 0
 * verdict: a grace shorter than the p99 cancels requests that would have finished; size it on the tail
 * </pre>
 */
public final class Sample15_PitfallGraceShorterThanP99 {
    private Sample15_PitfallGraceShorterThanP99() {}

    /** 100 request latencies in ms: 97 fast ones spread over 50..249 ms, and 3 slow ones. */
    static final List<Long> LATENCIES = latencies();

    private static List<Long> latencies() {
        var l = new ArrayList<Long>();
        for (int i = 0; i < 97; i++) {
            l.add(50L + (i * 37L) % 200);
        }
        l.add(1500L);
        l.add(1500L);
        l.add(1500L);
        return List.copyOf(l);
    }

    /** The latency at percentile {@code p} (nearest rank). */
    static long percentile(List<Long> values, double p) {
        List<Long> sorted = values.stream().sorted().toList();
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    public static void main(String[] args) throws Exception {
        kubernetesRule();
        long p99 = percentile(LATENCIES, 99);
        say("workload: " + LATENCIES.size() + " requests, p50 " + percentile(LATENCIES, 50) + " ms, p99 " + p99
                + " ms, max " + percentile(LATENCIES, 100) + " ms");
        ShutdownReport wrong = wrong();
        ShutdownReport right = right();
        say("verdict: " + (wrong.requestsInFlightAtCancel() > 0 && right.requestsInFlightAtCancel() == 0
                ? "a grace shorter than the p99 cancels requests that would have finished; size it on the tail"
                : "unexpected: wrong cancelled " + wrong.requestsInFlightAtCancel() + ", right cancelled "
                        + right.requestsInFlightAtCancel()));
    }

    /** The budget check of Shutdown.Builder: refused, then accepted with a longer terminationGracePeriodSeconds. */
    static void kubernetesRule() throws InterruptedException {
        try {
            realisticBudgets(Duration.ofSeconds(30)).start();
            say("rule: accepted (unexpected)");
        } catch (IllegalArgumentException e) {
            say("rule: refused: " + e.getMessage());
        }
        Shutdown fits = realisticBudgets(Duration.ofSeconds(35)).start();
        say("rule: accepted with terminationGracePeriodSeconds 35: " + fits.describeConfig());
        // This part only shows the check; end this shutdown at once (escalate skips its 5 s pre-drain delay).
        fits.initiate("sample 15: the rule is shown");
        fits.escalate();
        fits.awaitTermination();
    }

    private static Shutdown.Builder realisticBudgets(Duration terminationGracePeriod) {
        return Shutdown.builder()
                .name("rule")
                .platformBudget(terminationGracePeriod)
                .margin(Duration.ofSeconds(2))
                .preDrainDelay(Duration.ofSeconds(5)) // load balancer: health-check interval x fall count
                .stopAcceptingBudget(Duration.ofSeconds(1))
                .gracePeriod(Duration.ofSeconds(15)) // slowest endpoint: p99 12 s, plus headroom
                .cancelGrace(Duration.ofSeconds(2))
                .persistBudget(Duration.ofSeconds(4))
                .cleanupBudget(Duration.ofSeconds(4))
                .signals()
                .exitPolicy(Shutdown.ExitPolicy.RETURN);
    }

    static ShutdownReport wrong() throws InterruptedException {
        return run("wrong", Duration.ofMillis(700));
    }

    static ShutdownReport right() throws InterruptedException {
        return run("right", Duration.ofMillis(2500));
    }

    /** Starts the 100 requests, starts the shutdown while they are in flight, and reports. */
    static ShutdownReport run(String label, Duration grace) throws InterruptedException {
        Shutdown shutdown = Shutdown.builder()
                .name(label)
                .platformBudget(Duration.ofSeconds(10))
                .margin(Duration.ofSeconds(1))
                .gracePeriod(grace)
                .cancelGrace(Duration.ofMillis(500))
                .persistBudget(Duration.ofMillis(500))
                .cleanupBudget(Duration.ofMillis(500))
                .signals() // started with initiate(), standing in for SIGTERM
                .exitPolicy(Shutdown.ExitPolicy.RETURN)
                .start();
        var started = new CountDownLatch(LATENCIES.size());
        Queue<Long> cancelled = new ConcurrentLinkedQueue<>();
        shutdown.fork("http", () -> {
            try (var requests = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("requests"))) {
                for (long ms : LATENCIES) {
                    requests.fork(() -> {
                        try (var _ = shutdown.inFlight().enter()) {
                            started.countDown();
                            Thread.sleep(ms); // the request's work
                        } catch (InterruptedException e) {
                            cancelled.add(ms); // the shutdown's CANCEL phase interrupted it
                            throw e;
                        }
                        return null;
                    });
                }
                requests.join();
            }
        });
        shutdown.markReady();
        started.await();
        shutdown.initiate("rolling update");
        ShutdownReport report = shutdown.awaitTermination();

        long p99 = percentile(LATENCIES, 99);
        say(label + ": grace " + grace.toMillis() + " ms " + (grace.toMillis() < p99 ? "<" : ">") + " p99 " + p99
                + " ms: " + report.requestsDrained() + " drained, " + report.requestsInFlightAtCancel() + " cancelled"
                + (cancelled.isEmpty() ? "" : " (latencies " + cancelled.stream().sorted().toList() + " ms)")
                + "; outcome " + report.outcome() + ", exit code " + report.exitCode());
        return report;
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
