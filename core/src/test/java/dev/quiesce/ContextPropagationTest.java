package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.MDC;

/**
 * Context that follows a fork: {@link ContextPropagator}s (the built-in MDC one and custom ones) and
 * {@code ScopedValue} keys named with {@link ScopeConfig#withScopedValues}. Core's tests bind slf4j to an MDC
 * kept in a plain {@code ThreadLocal} ({@code ThreadLocalMdc}), so a thread sees an MDC only if it was carried.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ContextPropagationTest {
    static final ScopedValue<String> USER = ScopedValue.newInstance();
    static final ScopedValue<String> TENANT = ScopedValue.newInstance();
    static final ScopedValue<String> NOT_NAMED = ScopedValue.newInstance();

    /** What one thread saw. */
    record Seen(int level, String request, String user, String tenant, String notNamed) {
        static Seen now(int level) {
            return new Seen(level, MDC.get("request"), valueOf(USER), valueOf(TENANT), valueOf(NOT_NAMED));
        }

        static String valueOf(ScopedValue<String> key) {
            return key.isBound() ? key.get() : null; // orElse refuses null
        }
    }

    @AfterEach
    void clearMdc() {
        MDC.clear();
    }

    @Test
    void hundredSubtasksAcrossThreeLevels_seeTheParentsMdcAndNamedScopedValues_anUnrelatedVirtualThreadSeesNone()
            throws Exception {
        Queue<Seen> seen = new ConcurrentLinkedQueue<>();
        AtomicReference<Seen> unrelated = new AtomicReference<>();
        MDC.put("request", "r-42");
        ScopedValue.where(USER, "alice").where(TENANT, "acme").where(NOT_NAMED, "not carried").call(() -> {
            try (var root = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withScopedValues(USER, TENANT))) {
                for (int i = 0; i < 4; i++) {
                    root.fork(() -> {
                        seen.add(Seen.now(1));
                        forkLevel(2, 4, seen, () -> forkLevel(3, 5, seen, () -> { }));
                        return null;
                    });
                }
                // started while the context is live: a thread that is not a fork of the scope gets none of it
                Thread t = Thread.ofVirtual().start(() -> unrelated.set(Seen.now(0)));
                root.join();
                t.join();
            }
            return null;
        });

        assertThat(seen).hasSize(100);
        Map<Integer, Long> perLevel = seen.stream().collect(Collectors.groupingBy(Seen::level, Collectors.counting()));
        assertThat(perLevel).containsExactlyInAnyOrderEntriesOf(Map.of(1, 4L, 2, 16L, 3, 80L));
        assertThat(seen).allSatisfy(s -> assertThat(s).as("level %d", s.level())
                .isEqualTo(new Seen(s.level(), "r-42", "alice", "acme", null)));
        assertThat(unrelated.get()).isEqualTo(new Seen(0, null, null, null, null));
    }

    /** Opens a scope with the defaults (inheriting the context), forks {@code n} tasks that record and go on. */
    private static void forkLevel(int level, int n, Queue<Seen> seen, ThrowingRunnable next) throws Exception {
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow())) {
            for (int i = 0; i < n; i++) {
                scope.fork(() -> {
                    seen.add(Seen.now(level));
                    next.run();
                    return null;
                });
            }
            scope.join();
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A propagator of a ThreadLocal that logs each call with the thread it ran on. */
    static class Recording implements ContextPropagator {
        final ThreadLocal<String> value = new ThreadLocal<>();
        final Queue<String> events = new ConcurrentLinkedQueue<>();
        volatile RuntimeException onCapture;
        volatile RuntimeException onRestore;
        volatile RuntimeException onClear;

        @Override
        public Object capture() {
            events.add("capture on " + Thread.currentThread().getName());
            if (onCapture != null) {
                throw onCapture;
            }
            return value.get();
        }

        @Override
        public void restore(Object captured) {
            events.add("restore " + captured + " on " + Thread.currentThread().getName());
            if (onRestore != null) {
                throw onRestore;
            }
            value.set((String) captured);
        }

        @Override
        public void clear(Object captured) {
            events.add("clear " + captured + " on " + Thread.currentThread().getName());
            value.remove();
            if (onClear != null) {
                throw onClear;
            }
        }

        @Override
        public String name() {
            return "recording";
        }
    }

    private static ThreadFactory named(String name, AtomicInteger calls) {
        ThreadFactory f = Thread.ofVirtual().name(name).factory();
        return r -> {
            calls.incrementAndGet();
            return f.newThread(r);
        };
    }

    @Test
    void aPropagator_capturesOnTheForkingThread_restoresBeforeTheTask_andClearsAfterIt_onTheSubtasksThread()
            throws Exception {
        var p = new Recording();
        String me = Thread.currentThread().getName();
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withPropagator(p).withThreadFactory(named("worker", new AtomicInteger())))) {
            p.value.set("ctx-1");
            Subtask<String> a = scope.fork(() -> {
                p.events.add("task sees " + p.value.get() + " on " + Thread.currentThread().getName());
                return "done";
            });
            scope.join();
            assertThat(a.get()).isEqualTo("done");
        } finally {
            p.value.remove();
        }
        assertThat(p.events).containsExactly("capture on " + me, "restore ctx-1 on worker", "task sees ctx-1 on worker",
                "clear ctx-1 on worker");
    }

    @Test
    void aCaptureOfNull_meansNothingToCarry_neitherRestoreNorClearIsCalled() throws Exception {
        var p = new Recording();
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withPropagator(p))) {
            scope.fork(() -> p.events.add("task sees " + p.value.get()));
            scope.join();
        }
        assertThat(p.events).hasSize(2).last().isEqualTo("task sees null");
    }

    @Test
    void propagators_areInheritedByChildScopes_andWithoutPropagatorRemovesOne_forTheSubtreeToo() throws Exception {
        var p = new Recording();
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        MDC.put("request", "r-7");
        p.value.set("ctx-2");
        try (var root = Scope.open(Joiner.awaitAllSuccessfulOrThrow(),
                cfg -> cfg.withPropagator(p).withoutPropagator(ContextPropagator.mdc()))) {
            root.fork(() -> {
                seen.add("child: " + p.value.get() + " " + MDC.get("request"));
                MDC.put("request", "r-8"); // no MDC propagator in this subtree: not carried further
                try (var child = Scope.open()) {
                    child.fork(() -> seen.add("grandchild: " + p.value.get() + " " + MDC.get("request")));
                    child.join();
                }
                try (var again = Scope.open(Joiner.awaitAll(), cfg -> cfg.withPropagator(ContextPropagator.mdc())
                        .withoutPropagator(p))) {
                    again.fork(() -> seen.add("re-enabled MDC: " + p.value.get() + " " + MDC.get("request")));
                    again.join();
                }
                return null;
            });
            root.join();
        } finally {
            p.value.remove();
        }
        assertThat(seen).containsExactly("child: ctx-2 null", "grandchild: ctx-2 null", "re-enabled MDC: null r-8");
    }

    @Test
    void theMdcOfATask_isItsOwn_andIsClearedWhenTheTaskEnds() throws Exception {
        MDC.put("request", "r-1");
        AtomicReference<Map<String, String>> afterTask = new AtomicReference<>(Map.of("not", "run"));
        var p = new Recording() {
            @Override
            public void clear(Object captured) {
                afterTask.set(MDC.getCopyOfContextMap()); // runs after the MDC propagator's clear (reverse order)
            }
        };
        p.value.set("x");
        try (var scope = Scope.open(Joiner.awaitAllSuccessfulOrThrow(), cfg -> cfg.withPropagator(p))) {
            scope.fork(() -> MDC.put("request", "changed in the task"));
            scope.join();
        } finally {
            p.value.remove();
        }
        assertThat(MDC.get("request")).isEqualTo("r-1");
        // the MDC propagator was restored first, so it is cleared last: after p's clear the task's MDC is intact
        assertThat(afterTask.get()).containsEntry("request", "changed in the task");
    }

    @Test
    void aCaptureThatThrows_failsTheFork_withAMessageNamingThePropagator_andCreatesNoSubtask() throws Exception {
        var p = new Recording();
        p.onCapture = new IllegalStateException("no context here");
        AtomicInteger threads = new AtomicInteger();
        AtomicInteger onFork = new AtomicInteger();
        Joiner<Object, Void> counting = new Joiner<>() {
            @Override
            public boolean onFork(Subtask<?> subtask) {
                onFork.incrementAndGet();
                return false;
            }

            @Override
            public Void result() {
                return null;
            }
        };
        try (var scope = Scope.open(counting, cfg -> cfg.withPropagator(p).withThreadFactory(named("w", threads)))) {
            assertThatThrownBy(() -> scope.fork(() -> "never"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("context propagator recording threw in capture()")
                    .hasMessageContaining("the subtask was not created")
                    .hasMessageContaining("withoutPropagator")
                    .hasRootCauseMessage("no context here");
            scope.join();
        }
        assertThat(threads).hasValue(0);
        assertThat(onFork).hasValue(0);
    }

    @Test
    void aRestoreThatThrows_failsTheSubtask_withoutRunningTheTask_andClearsWhatWasRestored() throws Exception {
        var first = new Recording();
        var failing = new Recording();
        failing.onRestore = new IllegalArgumentException("bad context");
        first.value.set("a");
        failing.value.set("b");
        AtomicInteger ran = new AtomicInteger();
        Subtask<Object> s;
        try (var scope = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withPropagator(first).withPropagator(failing).withThreadFactory(named("w", new AtomicInteger())))) {
            s = scope.fork(() -> ran.incrementAndGet());
            scope.join();
        } finally {
            first.value.remove();
            failing.value.remove();
        }
        assertThat(ran).hasValue(0);
        assertThat(s.state()).isEqualTo(Subtask.State.FAILED);
        assertThat(s.exception()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("context propagator recording threw in restore()")
                .hasMessageContaining("the task did not run")
                .hasRootCauseMessage("bad context");
        assertThat(first.events).containsExactly("capture on " + Thread.currentThread().getName(), "restore a on w",
                "clear a on w");
        assertThat(failing.events).doesNotContain("clear b on w");
    }

    @Test
    void aClearThatThrows_failsASuccessfulSubtask_andIsSuppressedOnAFailedOne() throws Exception {
        var p = new Recording();
        p.onClear = new IllegalStateException("cannot clear");
        p.value.set("c");
        List<Subtask<Object>> subtasks = new ArrayList<>();
        try (var scope = Scope.open(Joiner.awaitAll(), cfg -> cfg.withPropagator(p))) {
            subtasks.add(scope.fork(() -> "ok"));
            subtasks.add(scope.fork(() -> {
                throw new ArithmeticException("task failed");
            }));
            scope.join();
        } finally {
            p.value.remove();
        }
        assertThat(subtasks).extracting(Subtask::state).containsOnly(Subtask.State.FAILED);
        assertThat(subtasks.get(0).exception()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("threw in clear()").hasRootCauseMessage("cannot clear");
        Throwable second = subtasks.get(1).exception();
        assertThat(second).isInstanceOf(ArithmeticException.class);
        assertThat(second.getSuppressed()).singleElement()
                .satisfies(e -> assertThat(e).hasMessageContaining("threw in clear()"));
    }

    @Test
    void aNamedKeyThatIsNotBoundAtTheFork_staysUnbound_andNamingItTwiceChangesNothing() throws Exception {
        AtomicReference<Seen> inTask = new AtomicReference<>();
        ScopedValue.where(TENANT, "t").run(() -> {
            try (var scope = Scope.open(Joiner.awaitAll(), cfg -> cfg.withScopedValues(USER, TENANT, USER)
                    .withScopedValues(TENANT))) {
                assertThat(ScopeConfig.defaults().withScopedValues(USER, TENANT, USER).withScopedValues(TENANT)
                        .scopedValues()).containsExactly(USER, TENANT);
                scope.fork(() -> inTask.set(Seen.now(1)));
                scope.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(inTask.get()).isEqualTo(new Seen(1, null, null, "t", null));
    }

    @Test
    void withScopedValues_takesOnlyScopedValues_andWithersRejectNull() {
        assertThatThrownBy(() -> ScopeConfig.defaults().withScopedValues("USER"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("takes java.lang.ScopedValue instances, got a java.lang.String");
        assertThatThrownBy(() -> ScopeConfig.defaults().withScopedValues(USER, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("pass the ScopedValue instances");
        assertThatThrownBy(() -> ScopeConfig.defaults().withScopedValues((Object[]) null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ScopeConfig.defaults().withPropagator(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("ContextPropagator.mdc()");
        assertThatThrownBy(() -> ScopeConfig.defaults().withoutPropagator(null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void theContextConfiguration_isPartOfTheValue() {
        var p = new Recording();
        Function<ScopeConfig, ScopeConfig> full = c -> c.withPropagator(p).withoutPropagator(ContextPropagator.mdc())
                .withScopedValues(USER);
        assertThat(full.apply(ScopeConfig.defaults())).isEqualTo(full.apply(ScopeConfig.defaults()))
                .hasSameHashCodeAs(full.apply(ScopeConfig.defaults()))
                .isNotEqualTo(ScopeConfig.defaults().withPropagator(p))
                .isNotEqualTo(ScopeConfig.defaults().withScopedValues(USER));
        assertThat(full.apply(ScopeConfig.defaults()).propagatorsAdded()).containsExactly(p);
        assertThat(full.apply(ScopeConfig.defaults()).propagatorsRemoved()).containsExactly(ContextPropagator.mdc());
        // adding back what was removed cancels the removal, and the other way round
        assertThat(ScopeConfig.defaults().withoutPropagator(p).withPropagator(p).propagatorsRemoved()).isEmpty();
        assertThat(ScopeConfig.defaults().withPropagator(p).withoutPropagator(p).propagatorsAdded()).isEmpty();
        assertThat(full.apply(ScopeConfig.defaults()).toString()).contains("ContextPropagator.mdc()");
    }
}
