package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiesce.CancelReason;
import dev.quiesce.Threads;
import dev.quiesce.internal.ManualClock;
import dev.quiesce.internal.SystemClockAfterEach;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** How the sequence drives a registered {@link Ingress}: the phases it is called in, the drain, the report. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(SystemClockAfterEach.class)
class IngressTest {

    /** An ingress that records its calls and counts its work in a tracker of its own. */
    private static class FakeIngress implements Ingress {
        final List<String> events;
        final InFlightTracker tracker = new InFlightTracker();
        final CountDownLatch wentAway = new CountDownLatch(1);
        volatile long cancelled;

        FakeIngress(List<String> events) {
            this.events = events;
        }

        @Override
        public void stopAccepting() {
            events.add("stopAccepting");
        }

        @Override
        public InFlightTracker inFlight() {
            return tracker;
        }

        @Override
        public void goAway() {
            events.add("goAway");
            wentAway.countDown();
        }

        @Override
        public void forceClose() {
            events.add("forceClose");
            cancelled = tracker.inFlight();
        }

        @Override
        public IngressDescription describe() {
            return new IngressDescription("fake", "test/1", "nowhere", tracker.entered(), tracker.completed(),
                    tracker.completed(), cancelled, tracker.inFlight());
        }
    }

    private static Shutdown.Builder builder(List<String> events) {
        return ShutdownTest.builder(events);
    }

    /** Runs the sequence while {@code work} runs; its report, once the work has ended too, which is clean. */
    private static ShutdownReport cleanShutdown(Shutdown shutdown, Thread work) throws InterruptedException {
        shutdown.initiate(CancelReason.explicit("test"));
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        work.join();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.CLEAN);
        return report;
    }

    /** Work on a virtual thread that starts once {@code release} opens; an interrupt is recorded. */
    private static Thread work(CountDownLatch release, List<String> events, Shutdown.Hook body) {
        return Thread.ofVirtual().start(() -> {
            try {
                release.await();
                body.run();
            } catch (InterruptedException e) {
                events.add("work interrupted");
            } catch (Exception e) {
                events.add("work failed: " + e);
            }
        });
    }

    @Test
    void theDrainWaitsForTheIngressesWork_goAwayStartsIt_andTheReportHasItsCounts() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var fake = new FakeIngress(events);
        var release = fake.wentAway;
        Shutdown shutdown = builder(events).gracePeriod(Duration.ofSeconds(15)).start();
        shutdown.ingress(fake);
        shutdown.markReady();
        var ticket = fake.tracker.enter();
        Thread work = work(release, events, () -> {
            events.add("work done");
            ticket.close();
        });
        ShutdownReport report = cleanShutdown(shutdown, work);
        assertThat(events).containsSubsequence("start STOP_ACCEPTING", "stopAccepting", "start DRAIN", "goAway",
                "work done", "start CANCEL").doesNotContain("forceClose", "work interrupted");
        assertThat(report.ingresses()).containsExactly(new IngressDescription("fake", "test/1", "nowhere", 1, 1, 1, 0,
                0));
        assertThat(report.hooks()).anyMatch(h -> h.phase() == Phase.STOP_ACCEPTING && h.name().equals("fake")
                && h.status() == ShutdownReport.HookStatus.OK);
        assertThat(report.toText()).contains("ingress fake (test/1 on nowhere): 1 accepted, 1 completed (1 while"
                + " draining), 0 cancelled, 0 in flight");
        assertThat(report.toJson()).contains("\"ingresses\":[{\"name\":\"fake\",\"protocol\":\"test/1\",\"address\":"
                + "\"nowhere\",\"accepted\":1,\"completed\":1,\"drained\":1,\"cancelled\":0,\"inFlight\":0}]");
    }

    @Test
    void workLeftAtTheEndOfTheGracePeriod_isForceClosed_andTheOutcomeIsForced() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var fake = new FakeIngress(events);
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(events).gracePeriod(Duration.ofSeconds(15)).start();
            shutdown.ingress(fake);
            shutdown.markReady();
            fake.tracker.enter(); // never ends
            shutdown.initiate(CancelReason.explicit("test"));
            report = ShutdownTest.inVirtualTime(clock, shutdown);
        }
        assertThat(report.phase(Phase.DRAIN).orElseThrow().duration()).isEqualTo(Duration.ofSeconds(15));

        assertThat(events).containsSubsequence("stopAccepting", "goAway", "start CANCEL", "forceClose");
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
        assertThat(report.ingresses()).singleElement().satisfies(d -> {
            assertThat(d.cancelled()).isEqualTo(1);
            assertThat(d.inFlight()).isEqualTo(1);
        });
    }

    @Test
    void anIngressRegisteredOnceStopAcceptingHasBegun_isRefused() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var inStopAccepting = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        Shutdown shutdown = builder(events).start();
        shutdown.onStopAccepting("blocker", () -> {
            inStopAccepting.countDown();
            release.await();
        });
        shutdown.markReady();
        shutdown.initiate(CancelReason.explicit("test"));
        inStopAccepting.await();
        try {
            assertThatThrownBy(() -> shutdown.ingress(new FakeIngress(events)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("STOP_ACCEPTING").hasMessageContaining("fake");
        } finally {
            release.countDown();
        }
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.ingresses()).isEmpty();
        assertThat(events).doesNotContain("stopAccepting", "goAway");
    }

    @Test
    void anIngressWithABadName_isRefused() throws Exception {
        Shutdown shutdown = builder(new CopyOnWriteArrayList<>()).start();
        try {
            var bad = new FakeIngress(new CopyOnWriteArrayList<>()) {
                @Override
                public IngressDescription describe() {
                    return new IngressDescription("a/b", "p", "x", 0, 0, 0, 0, 0);
                }
            };
            assertThatThrownBy(() -> shutdown.ingress(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("a/b");
        } finally {
            shutdown.initiate(CancelReason.explicit("test"));
            shutdown.awaitTermination(Duration.ofSeconds(30));
        }
    }

    @Test
    void aSecondIngressOfTheSameName_isRefused_withAMessageThatSaysWhatToDo() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        Shutdown shutdown = builder(events).start();
        try {
            shutdown.ingress(new FakeIngress(events));
            assertThatThrownBy(() -> shutdown.ingress(new FakeIngress(events)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("an ingress named 'fake' is already registered")
                    .hasMessageContaining("give each ingress a name of its own");
        } finally {
            shutdown.initiate(CancelReason.explicit("test"));
        }
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.ingresses()).hasSize(1);
        assertThat(events).containsOnlyOnce("stopAccepting");
    }

    @Test
    void anIngressThatThrows_isLoggedAndTheSequenceGoesOn_aThrowingStopAcceptingFailsTheHooks() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var broken = new FakeIngress(events) {
            @Override
            public void stopAccepting() {
                events.add("stopAccepting broken");
                throw new IllegalStateException("listener gone");
            }

            @Override
            public void goAway() {
                events.add("goAway broken");
                throw new IllegalStateException("no connections");
            }

            @Override
            public void forceClose() {
                events.add("forceClose broken");
                throw new IllegalStateException("closed already");
            }

            @Override
            public IngressDescription describe() {
                if (events.contains("start REPORT")) {
                    throw new IllegalStateException("cannot describe");
                }
                return new IngressDescription("broken", "p", "x", 0, 0, 0, 0, 0);
            }
        };
        var fine = new FakeIngress(events);
        var clock = new ManualClock();
        ShutdownReport report;
        try (var _ = clock.install()) {
            Shutdown shutdown = builder(events).gracePeriod(Duration.ofSeconds(15)).start();
            shutdown.ingress(broken);
            shutdown.ingress(fine);
            shutdown.markReady();
            fine.tracker.enter(); // never ends: the drain does not complete, so both are force-closed
            shutdown.initiate(CancelReason.explicit("test"));
            report = ShutdownTest.inVirtualTime(clock, shutdown);
        }

        assertThat(events).containsSubsequence("stopAccepting broken", "stopAccepting", "goAway broken", "goAway",
                "forceClose broken", "forceClose", "start REPORT");
        assertThat(report.hooks()).anyMatch(h -> h.name().equals("broken")
                && h.status() == ShutdownReport.HookStatus.FAILED && h.error().orElseThrow().contains("listener gone"));
        assertThat(report.ingresses()).extracting(IngressDescription::name).containsExactly("fake");
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
    }

    @Test
    void aThrowingStopAccepting_withNothingLeftInFlight_makesTheOutcomeHooksFailed() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        Shutdown shutdown = builder(events).start();
        shutdown.ingress(new FakeIngress(events) {
            @Override
            public void stopAccepting() {
                throw new IllegalStateException("listener gone");
            }
        });
        shutdown.initiate(CancelReason.explicit("test"));
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.HOOKS_FAILED);
        assertThat(events).contains("goAway").doesNotContain("forceClose");
    }

    @Test
    void escalation_cutsTheWaitForAnIngressShort_andItIsForceClosed() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var fake = new FakeIngress(events);
        var inDrain = new CountDownLatch(1);
        // a grace period far longer than the test waits: only the escalation can end the drain in time
        Shutdown shutdown = builder(events).platformBudget(Duration.ofSeconds(600)).gracePeriod(Duration.ofSeconds(500))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        if (phase == Phase.DRAIN) {
                            inDrain.countDown();
                        }
                    }
                }).start();
        shutdown.ingress(fake);
        shutdown.markReady();
        fake.tracker.enter(); // never ends
        shutdown.initiate(CancelReason.explicit("test"));
        inDrain.await();
        Threads.awaitTrue(() -> events.contains("goAway"));
        shutdown.escalate();
        ShutdownReport report = shutdown.awaitTermination(Duration.ofSeconds(30)).orElseThrow();

        assertThat(report.escalated()).isTrue();
        assertThat(report.phase(Phase.DRAIN).orElseThrow().note()).startsWith("cut short by escalation")
                .contains("1 in ingresses");
        assertThat(events).containsSubsequence("goAway", "start CANCEL", "forceClose");
        assertThat(report.outcome()).isEqualTo(ShutdownReport.Outcome.FORCED);
    }

    @Test
    void theDrainWaitsForEveryIngresssTracker_andTheShutdownsOwn_untilAllAreAtZero() throws Exception {
        var events = new CopyOnWriteArrayList<String>();
        var first = new FakeIngress(events);
        var second = new FakeIngress(events) {
            @Override
            public IngressDescription describe() {
                return new IngressDescription("second", "test/1", "nowhere", tracker.entered(), tracker.completed(),
                        tracker.completed(), cancelled, tracker.inFlight());
            }
        };
        var release = second.wentAway; // goAway runs in registration order: both have been told
        Shutdown shutdown = builder(events).gracePeriod(Duration.ofSeconds(15)).start();
        shutdown.ingress(first);
        shutdown.ingress(second);
        shutdown.markReady();
        var own = shutdown.inFlight().enter();
        var a = first.tracker.enter();
        var b = second.tracker.enter();
        // each piece of work hands on to the next tracker before it ends: the drain ends only with the last
        Thread work = work(release, events, () -> {
            var again = first.tracker.enter();
            b.close();
            own.close();
            a.close();
            var late = second.tracker.enter();
            again.close();
            events.add("work done");
            late.close();
        });
        ShutdownReport report = cleanShutdown(shutdown, work);
        assertThat(events).containsSubsequence("goAway", "goAway", "work done", "start CANCEL")
                .doesNotContain("forceClose", "work interrupted");
        assertThat(report.ingresses()).extracting(IngressDescription::name, IngressDescription::inFlight,
                IngressDescription::completed).containsExactly(org.assertj.core.groups.Tuple.tuple("fake", 0L, 2L),
                org.assertj.core.groups.Tuple.tuple("second", 0L, 2L));
    }
}
