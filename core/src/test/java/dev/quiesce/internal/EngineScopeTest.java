package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.CancelReason;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.ScopeConfig;
import dev.quiesce.Subtask;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's surface: outside the package it is reached only through {@link Scope} and {@link EngineScope}. */
class EngineScopeTest {

    @Test
    void scopeImpl_isNotPublic_soTheShutdownAndHttpReachItOnlyThroughEngineScope() {
        assertThat(Modifier.isPublic(ScopeImpl.class.getModifiers())).isFalse();
    }

    @Test
    void scopeImpl_hasNoPublicMethodBeyondItsInterfaces() {
        Set<String> declared = publicMethods(ScopeImpl.class.getDeclaredMethods());
        Set<String> interfaces = publicMethods(EngineScope.class.getMethods());
        interfaces.addAll(publicMethods(Object.class.getMethods()));
        assertThat(declared).isSubsetOf(interfaces);
    }

    @Test
    void everyScope_isAnEngineScope() throws Exception {
        try (Scope<Object, Void> scope = Scope.open(Joiner.awaitAll())) {
            assertThat(scope).isInstanceOf(EngineScope.class);
            assertThat(((EngineScope<Object, Void>) scope).runningCount()).isZero();
            scope.join();
        }
    }

    /**
     * A service task whose scope is cancelled after the fork returned (not CANCELLED) and before its thread started
     * is told it will not run: a request then answers instead of going unanswered.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aServiceTaskCancelledBeforeItsThreadStarts_isToldItWillNotRun_once_andIsNotCalled() throws Exception {
        var threadStarted = new CountDownLatch(1);
        var cancelled = new CountDownLatch(1);
        var called = new AtomicInteger();
        var notRun = new AtomicInteger();
        // the thread holds back its subtask's run() until the scope is cancelled
        ScopeConfig cfg = ScopeConfig.defaults().withThreadFactory(r -> Thread.ofVirtual().unstarted(() -> {
            threadStarted.countDown();
            try {
                cancelled.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.run();
        }));
        try (EngineScope<Object, Void> scope = EngineScope.open(Joiner.awaitAll(), cfg)) {
            Subtask<Object> sub = scope.forkService(null, new EngineScope.ServiceTask<Object>() {
                @Override
                public Object call() {
                    called.incrementAndGet();
                    return null;
                }

                @Override
                public void notRun() {
                    notRun.incrementAndGet();
                }
            });
            assertThat(sub.state()).isEqualTo(Subtask.State.UNAVAILABLE);
            threadStarted.await();
            scope.cancel(CancelReason.explicit("test: cancelled before the subtask's thread runs it"));
            cancelled.countDown();
            try {
                scope.join();
            } catch (dev.quiesce.CancelledException expected) {
                // the scope was cancelled
            }
            assertThat(sub.state()).isEqualTo(Subtask.State.CANCELLED);
        }
        assertThat(called).hasValue(0);
        assertThat(notRun).hasValue(1);
    }

    private static Set<String> publicMethods(Method[] methods) {
        return Arrays.stream(methods)
                .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !m.isBridge())
                .map(m -> m.getName() + Arrays.toString(m.getParameterTypes()))
                .collect(Collectors.toCollection(HashSet::new));
    }
}
