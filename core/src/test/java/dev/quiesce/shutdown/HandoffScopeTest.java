package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The adapters' hand-off scope: requests forked from the server's threads, each run or rejected, once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandoffScopeTest {

    /** A request that records whether it ran or was rejected; both, or twice, is a defect. */
    static final class Request implements HandoffScope.Work {
        final AtomicInteger outcomes = new AtomicInteger();
        volatile boolean ran;
        volatile String thread;
        final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void run() {
            thread = Thread.currentThread().getName();
            ran = true;
            outcomes.incrementAndGet();
            done.countDown();
        }

        @Override
        public void reject() {
            outcomes.incrementAndGet();
            done.countDown();
        }
    }

    @Test
    void requestsSubmittedFromManyThreadsThroughAForce_areEachRunOrRejected_exactlyOnce_andRunInTheScopesThreads()
            throws Exception {
        Shutdown shutdown = Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        var work = new InFlightTracker();
        var stopped = new CountDownLatch(1);
        var graceful = new AtomicBoolean(true);
        var handoff = new HandoffScope<Request>("http", "req-", work, () -> false, () -> false, g -> {
            graceful.set(g);
            stopped.countDown();
        });
        handoff.start(shutdown, "server", "the test server");
        int submitters = 4;
        int each = 2_000;
        List<Request> all = new ArrayList<>();
        for (int i = 0; i < submitters * each; i++) {
            all.add(new Request());
        }
        var go = new CountDownLatch(1);
        var halfway = new CountDownLatch(submitters);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < submitters; t++) {
            List<Request> mine = all.subList(t * each, (t + 1) * each);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < mine.size(); i++) {
                    if (i == mine.size() / 2) {
                        halfway.countDown();
                    }
                    handoff.submit(mine.get(i));
                }
            }));
        }
        go.countDown();
        halfway.await(); // the force lands while every submitter is still submitting
        handoff.force("test: forced while requests are being submitted");
        for (Thread t : threads) {
            t.join();
        }
        assertThat(stopped.await(30, TimeUnit.SECONDS)).as("the server was stopped").isTrue();
        assertThat(graceful).as("a forced stop is not graceful").isFalse();
        for (Request r : all) {
            assertThat(r.done.await(30, TimeUnit.SECONDS)).as("every request is run or rejected").isTrue();
        }
        assertThat(all).allSatisfy(r -> assertThat(r.outcomes).as("run or rejected, once").hasValue(1));
        assertThat(all.stream().filter(r -> r.ran).count()).as("requests submitted before the force ran")
                .isPositive();
        assertThat(all.stream().filter(r -> r.ran).map(r -> r.thread).toList()).as("each in a thread of the scope")
                .allSatisfy(n -> assertThat(n).matches(".*/http/req-\\d+"));
        shutdown.initiate("test over");
        assertThat(shutdown.awaitTermination(Duration.ofSeconds(30))).isPresent();
    }
}
