package dev.quiesce.samples;

import dev.quiesce.CancelReason;
import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Straggler;
import dev.quiesce.Subtask;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sample 14, pitfall: a cancellation that never reaches the work. Two ways it goes wrong.
 *
 * <p><b>The token does not reach child tasks.</b> Cancellation in Quiesce follows the tree: a scope's
 * {@code cancel()} interrupts the threads of its subtasks and cancels the scopes opened inside them. A
 * thread started any other way ({@code Thread.ofVirtual().start}, {@code new Thread}, an executor, a
 * {@code CompletableFuture.supplyAsync}) is not in the tree; nothing cancels it and nothing waits for it.
 * The same goes for a home-made {@code volatile boolean stopping} flag that the main loop checks but the
 * helpers it started do not. {@code wrongEscape()} lets a service start its helper as a plain virtual
 * thread: the service is cancelled, joined and closed, and the helper still runs.
 * {@code rightChildScope()} forks the helper into a scope the service opens: the cancel reaches it.
 *
 * <p><b>The interrupt is swallowed.</b> Cancellation is an interrupt, and an interrupt is a request that
 * the code must honour. The classic loop
 * <pre>{@code
 * while (!Thread.currentThread().isInterrupted()) {
 *     try { poll(); Thread.sleep(200); } catch (InterruptedException e) { log("interrupted, retrying"); }
 * }
 * }</pre>
 * never stops: throwing {@code InterruptedException} <em>clears</em> the interrupt status, the
 * {@code catch} drops it, and the loop condition sees a clear flag. {@code wrongSwallow()} runs it in a
 * scope with a 300 ms close timeout: the scope cannot stop it, waits the close timeout, and reports it as a
 * {@link Straggler} (thread, scope path, stack, time since the interrupt) in {@link Scope#stragglers()} and
 * in the log, then abandons it. In a shutdown the same thread shows up in the report's stragglers and the
 * outcome is {@code FORCED}, exit code 2. {@code rightRestore()} restores the status in the {@code catch}
 * ({@code Thread.currentThread().interrupt()}; rethrowing works too), and the task stops at once.
 *
 * <h2>How to run</h2>
 * <pre>
 * java -cp samples/target/quiesce-demo.jar dev.quiesce.samples.Sample14_PitfallCancellationNotPropagated
 * </pre>
 *
 * <h2>What you should see</h2>
 * <pre>
 * wrongEscape: service cancelled and closed; its helper thread still running: true
 * rightChildScope: service cancelled and closed; its helper was interrupted: true, helper state: CANCELLED
 * wrongSwallow: worker: interrupted, retrying
 * wrongSwallow: 1 straggler: thread /poller in scope /poller, interrupted but still running, stuck in wrongSwallow
 * rightRestore: worker: interrupted, stopping
 * rightRestore: 0 stragglers; the worker stopped when cancelled
 * verdict: wrong leaves a helper running and a straggler behind; right stops everything it started
 * </pre>
 * Standard error shows Quiesce's warning for the straggler, with its stack.
 */
public final class Sample14_PitfallCancellationNotPropagated {
    private Sample14_PitfallCancellationNotPropagated() {}

    public static void main(String[] args) throws Exception {
        boolean escaped = wrongEscape();
        boolean reached = rightChildScope();
        int wrongStragglers = wrongSwallow();
        int rightStragglers = rightRestore();
        say("verdict: " + (escaped && reached && wrongStragglers == 1 && rightStragglers == 0
                ? "wrong leaves a helper running and a straggler behind; right stops everything it started"
                : "unexpected: escaped=" + escaped + ", reached=" + reached + ", stragglers wrong="
                        + wrongStragglers + " right=" + rightStragglers));
    }

    /** The helper is a plain virtual thread: outside the tree. Returns whether it survived the cancel. */
    static boolean wrongEscape() throws InterruptedException {
        var helper = new AtomicReference<Thread>();
        var started = new CountDownLatch(1);
        try (var service = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("service"))) {
            service.fork(() -> {
                helper.set(Thread.ofVirtual().start(() -> { // escapes the tree
                    started.countDown();
                    try {
                        Thread.sleep(Duration.ofDays(1)); // e.g. a long call to a downstream service
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
                started.await();
                Thread.sleep(Duration.ofDays(1)); // the service itself waits for work
                return null;
            });
            started.await();
            service.cancel(CancelReason.explicit("shutdown"));
            joinQuietly(service);
        }
        boolean alive = helper.get().isAlive();
        say("wrongEscape: service cancelled and closed; its helper thread still running: " + alive);
        helper.get().interrupt(); // only so that this sample does not leave it behind
        helper.get().join();
        return alive;
    }

    /** The helper is forked into a scope the service opens: the cancel reaches it. */
    static boolean rightChildScope() throws InterruptedException {
        var started = new CountDownLatch(1);
        var interrupted = new AtomicBoolean();
        var helper = new AtomicReference<Subtask<Object>>();
        try (var service = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("service"))) {
            service.fork(() -> {
                try (var helpers = Scope.open(Joiner.awaitAll(), cfg -> cfg.withName("helpers"))) {
                    helper.set(helpers.fork(() -> { // in the tree: /service/helpers
                        started.countDown();
                        try {
                            Thread.sleep(Duration.ofDays(1));
                        } catch (InterruptedException e) {
                            interrupted.set(true);
                            throw e;
                        }
                        return null;
                    }));
                    helpers.join();
                }
                return null;
            });
            started.await();
            service.cancel(CancelReason.explicit("shutdown"));
            joinQuietly(service);
        }
        // close() has waited for every thread in the tree, the helper's included
        say("rightChildScope: service cancelled and closed; its helper was interrupted: " + interrupted.get()
                + ", helper state: " + helper.get().state());
        return interrupted.get() && helper.get().state() == Subtask.State.CANCELLED;
    }

    /** Swallows the interrupt: the scope reports it as a straggler. Returns the number of stragglers. */
    static int wrongSwallow() throws InterruptedException {
        var worker = new AtomicReference<Thread>();
        List<Straggler> stragglers;
        try (var poller = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("poller").withCloseTimeout(Duration.ofMillis(300)))) {
            poller.fork(() -> {
                worker.set(Thread.currentThread());
                boolean told = false;
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(200); // poll something, then wait a little
                    } catch (InterruptedException e) {
                        if (!told) { // swallowed: the interrupt status is now clear, and the loop goes on
                            say("wrongSwallow: worker: interrupted, retrying");
                            told = true;
                        }
                    }
                }
            });
            awaitSleeping(worker);
            poller.cancel(CancelReason.explicit("shutdown"));
            joinQuietly(poller); // waits the close timeout, then gives up on the worker
            stragglers = poller.stragglers();
        }
        for (Straggler s : stragglers) {
            String where = s.stack().stream()
                    .filter(f -> f.getClassName().equals(Sample14_PitfallCancellationNotPropagated.class.getName()))
                    .map(f -> f.getMethodName().replaceAll("^lambda\\$(\\w+)\\$\\d+$", "$1"))
                    .findFirst().orElse("?");
            say("wrongSwallow: " + stragglers.size() + " straggler: thread " + s.threadName() + " in scope "
                    + s.scopePath() + (s.sinceInterrupt().isPresent() ? ", interrupted but still running" : "")
                    + ", stuck in " + where);
        }
        return stragglers.size();
    }

    /** Restores the interrupt status: the loop ends. Returns the number of stragglers. */
    static int rightRestore() throws InterruptedException {
        var worker = new AtomicReference<Thread>();
        List<Straggler> stragglers;
        try (var poller = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName("poller").withCloseTimeout(Duration.ofMillis(300)))) {
            poller.fork(() -> {
                worker.set(Thread.currentThread());
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        say("rightRestore: worker: interrupted, stopping");
                        Thread.currentThread().interrupt(); // restore it: the loop condition sees it
                    }
                }
            });
            awaitSleeping(worker);
            poller.cancel(CancelReason.explicit("shutdown"));
            joinQuietly(poller);
            stragglers = poller.stragglers();
        }
        say("rightRestore: " + stragglers.size() + " stragglers; the worker stopped when cancelled");
        return stragglers.size();
    }

    /** Waits until the worker is inside its sleep, so that the cancel's interrupt lands there. */
    private static void awaitSleeping(AtomicReference<Thread> worker) throws InterruptedException {
        while (worker.get() == null || worker.get().getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(1);
        }
    }

    private static void joinQuietly(Scope<?, ?> scope) throws InterruptedException {
        try {
            scope.join();
        } catch (CancelledException expected) {
            // we cancelled it ourselves
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
