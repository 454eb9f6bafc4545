package dev.quiesce.jetty;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Shutdown;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The application of the adapter's own tests: answers {@code "ok"}; {@code /slow} first waits until the test
 * releases it. Records how many requests reached it and where the slow one ran.
 */
final class SlowApp extends Handler.Abstract {
    final CountDownLatch slowEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger handled = new AtomicInteger();
    final AtomicReference<String> slowThread = new AtomicReference<>();
    final AtomicReference<String> slowScope = new AtomicReference<>();

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        handled.incrementAndGet();
        if (Request.getPathInContext(request).equals("/slow")) {
            slowThread.set(Thread.currentThread().getName());
            slowScope.set(Scope.current().path());
            slowEntered.countDown();
            release.await();
        }
        response.write(true, ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    /** A shutdown for a test: no signals, exit policy RETURN, a long budget. */
    static Shutdown.Builder shutdown() {
        return Shutdown.builder().signals().exitPolicy(Shutdown.ExitPolicy.RETURN)
                .platformBudget(Duration.ofMinutes(30)).cancelGrace(Duration.ofSeconds(2));
    }

    /** Ends what a test left: releases the slow request, cuts the shutdown short and waits for its end. */
    void end(Shutdown shutdown) throws InterruptedException {
        release.countDown();
        if (shutdown != null) {
            shutdown.initiate("test ended");
            shutdown.escalate();
            shutdown.awaitTermination(Duration.ofSeconds(30));
        }
    }
}
