package dev.quiesce;

import static dev.quiesce.Threads.sleepForever;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Quiesce and the JDK's (preview) {@link StructuredTaskScope} cancel each other across nesting,
 * because both cancel by interrupt. This class is compiled with {@code --enable-preview}; Quiesce's
 * main code is not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JdkInteropTest {

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aJdkScopeInsideAQuiesceTask_isCancelledWithIt(Threads threads) throws Exception {
        int n = 8;
        var jdkSubtasksBlocked = new CountDownLatch(n);
        var jdkSubtasksInterrupted = new CountDownLatch(n);
        var jdkJoinOutcome = new AtomicReference<Throwable>();
        try (var scope = Scope.open(Joiner.awaitAll(), threads.named("quiesce"))) {
            scope.fork(() -> {
                try (var jdk = StructuredTaskScope.open()) {
                    for (int i = 0; i < n; i++) {
                        jdk.fork(() -> {
                            jdkSubtasksBlocked.countDown();
                            try {
                                sleepForever();
                            } catch (InterruptedException e) {
                                jdkSubtasksInterrupted.countDown();
                                throw e;
                            }
                            return null;
                        });
                    }
                    jdk.join(); // the Quiesce cancel interrupts this owner; the JDK scope then cancels
                } catch (Throwable t) {
                    jdkJoinOutcome.set(t);
                    throw t;
                }
                return null;
            });
            assertThat(jdkSubtasksBlocked.await(10, TimeUnit.SECONDS)).isTrue();
            scope.cancel(CancelReason.explicit("rolling update"));
            assertThat(jdkSubtasksInterrupted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(scope::join).isInstanceOf(CancelledException.class);
            assertThat(scope.failures()).isEmpty(); // the interrupt-caused exit is a cancellation
        }
        assertThat(jdkJoinOutcome.get()).isInstanceOf(InterruptedException.class);
    }

    @ParameterizedTest
    @EnumSource(Threads.class)
    void aQuiesceScopeInsideAJdkSubtask_isCancelledWhenTheJdkScopeIs(Threads threads) throws Exception {
        int n = 8;
        var leavesBlocked = new CountDownLatch(n);
        var leavesInterrupted = new CountDownLatch(n);
        var quiesceReason = new AtomicReference<CancelReason>();
        try (var jdk = StructuredTaskScope.open(StructuredTaskScope.Joiner.awaitAllSuccessfulOrThrow())) {
            jdk.fork(() -> {
                try (var inner = Scope.open(Joiner.awaitAll(), threads.named("in-jdk"))) {
                    for (int i = 0; i < n; i++) {
                        inner.fork(() -> {
                            leavesBlocked.countDown();
                            try {
                                sleepForever();
                            } catch (InterruptedException e) {
                                leavesInterrupted.countDown();
                                throw e;
                            }
                            return null;
                        });
                    }
                    try {
                        inner.join(); // interrupted when the JDK scope cancels
                    } finally {
                        quiesceReason.set(inner.cancelReason().orElse(null));
                    }
                }
                return null;
            });
            jdk.fork(() -> {
                leavesBlocked.await();
                throw new IllegalStateException("sibling fails: the JDK scope cancels");
            });
            assertThatThrownBy(jdk::join).isInstanceOf(StructuredTaskScope.FailedException.class)
                    .hasCauseInstanceOf(IllegalStateException.class);
        }
        assertThat(leavesInterrupted.getCount()).isZero();
        assertThat(quiesceReason.get()).isInstanceOf(CancelReason.OwnerInterrupted.class);
    }
}
