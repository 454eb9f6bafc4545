package dev.quiesce.shutdown;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one shutdown hook (or reload hook) on its own platform thread, bounded by a timeout: a hook that never returns
 * is interrupted and abandoned, and the sequence goes on. Platform threads, because a hook must run
 * even when every carrier of the virtual-thread scheduler is occupied by stuck tasks.
 */
final class HookRunner {
    private HookRunner() {}

    /** How a hook ended. */
    enum Status { OK, FAILED, TIMED_OUT }

    /**
     * The result of a run.
     *
     * @param status how it ended
     * @param duration how long it ran (up to the timeout)
     * @param error what it threw, if it failed
     */
    record Result(Status status, Duration duration, Throwable error) {}

    /** Runs {@code hook} on a new daemon platform thread named {@code threadName}, waiting at most {@code timeout}. */
    static Result run(String threadName, Duration timeout, Callable<?> hook) {
        var done = new CountDownLatch(1);
        var error = new AtomicReference<Throwable>();
        Thread t = Thread.ofPlatform().name(threadName).daemon(true).unstarted(() -> {
            try {
                hook.call();
            } catch (Throwable e) {
                error.set(e);
            } finally {
                // counted down first: while the hook's thread is still marked working, a test's manual clock does
                // not move; unmarked first, it could move past the waiting sequence's deadline in between
                done.countDown();
                dev.quiesce.internal.Clocks.finished(Thread.currentThread());
            }
        });
        dev.quiesce.internal.Clocks.working(t); // a test's manual clock lets it run before it moves the time
        long start = ShutdownTime.nanoTime();
        t.start();
        boolean finished;
        boolean interrupted = false;
        long deadline = start + dev.quiesce.internal.Timers.saturatedNanos(timeout);
        for (;;) {
            try {
                finished = ShutdownTime.await(done, ShutdownTime.nanosUntil(deadline));
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the sequence must go on; restore the flag afterwards
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Duration took = Duration.ofNanos(ShutdownTime.nanoTime() - start);
        if (!finished) {
            dev.quiesce.internal.Clocks.finished(t); // abandoned: nothing waits for it any more
            t.interrupt();
            return new Result(Status.TIMED_OUT, took, null);
        }
        Throwable e = error.get();
        return e == null ? new Result(Status.OK, took, null) : new Result(Status.FAILED, took, e);
    }
}
