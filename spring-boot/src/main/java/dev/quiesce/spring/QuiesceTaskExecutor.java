package dev.quiesce.spring;

import dev.quiesce.CancelledException;
import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.Subtask;
import dev.quiesce.shutdown.Shutdown;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.task.AsyncTaskExecutor;
import org.springframework.core.task.TaskRejectedException;

/**
 * An {@link AsyncTaskExecutor} (Boot's {@code applicationTaskExecutor}, so {@code @Async} methods run on it) whose
 * tasks run in virtual threads of the shutdown's scope tree, named {@code /<shutdown>/<name>/task-N}. A service of
 * the shutdown owns the scope; tasks submitted from any thread are handed to it through a queue and forked there
 * (only the owner of a scope, and threads inside it, may fork into it).
 *
 * <ul>
 *   <li>At the drain (the soft stop): the tasks see {@link Scope#stopRequested()}; the executor takes no new task
 *       ({@link TaskRejectedException}, saying why); the drain waits for the running ones, up to the grace period.
 *   <li>At the end of the grace period (CANCEL): the tasks still running are interrupted; one that does not end in
 *       the cancel grace is a straggler in the report, with its scope path and stack.
 * </ul>
 * A task that throws is logged; it does not fail the service (nor start the shutdown).
 *
 * <p>Thread-safe.
 */
public final class QuiesceTaskExecutor implements AsyncTaskExecutor {
    private static final Logger LOG = LoggerFactory.getLogger(QuiesceTaskExecutor.class);

    private final String name;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch opened = new CountDownLatch(1);
    private final AtomicLong seq = new AtomicLong();
    private final ThreadFactory threads;
    private volatile String namePrefix;
    private volatile boolean closed;

    /**
     * Starts the executor's service in {@code shutdown}.
     *
     * @param shutdown the shutdown whose tree the tasks run in
     * @param name the scope's and service's name (e.g. {@code async})
     */
    public QuiesceTaskExecutor(Shutdown shutdown, String name) {
        this.name = name;
        this.namePrefix = name + "/task-";
        this.threads = new ThreadFactory() { // made here, at start, not after the trigger
            @Override
            public Thread newThread(Runnable r) {
                return Thread.ofVirtual().name(namePrefix + seq.incrementAndGet()).unstarted(r);
            }
        };
        Subtask<Object> service = shutdown.fork(name, new Shutdown.Hook() {
            @Override
            public void run() throws InterruptedException {
                serve();
            }
        });
        if (service.state() == Subtask.State.CANCELLED) {
            closed = true; // the shutdown had already begun
        }
    }

    @Override
    public void execute(Runnable task) {
        if (closed) {
            throw rejected(task);
        }
        queue.add(task);
        if (closed && queue.remove(task)) { // closed meanwhile: the owner may not see it any more
            throw rejected(task);
        }
    }

    private TaskRejectedException rejected(Runnable task) {
        return new TaskRejectedException("the service is shutting down: executor '" + name + "' takes no new task ("
                + task + ")");
    }

    private void serve() throws InterruptedException {
        try (Scope<Object, Void> s = Scope.open(Joiner.awaitAll(),
                cfg -> cfg.withName(name).withThreadFactory(threads))) {
            namePrefix = s.path() + "/task-";
            opened.countDown();
            try {
                while (!s.isStopRequested() && !s.isCancelled()) {
                    fork(s, queue.poll(50, TimeUnit.MILLISECONDS)); // a task at once; the stop within 50 ms
                }
                closed = true; // the soft stop: what was accepted still runs
                for (Runnable r; (r = queue.poll()) != null; ) {
                    fork(s, r);
                }
                s.join();
            } catch (CancelledException e) {
                // cancelled with the tree: the tasks were interrupted
            } finally {
                closed = true;
                for (Runnable r; (r = queue.poll()) != null; ) {
                    LOG.warn("task {} of executor '{}' never ran: the shutdown cancelled the executor", r, name);
                }
            }
        }
    }

    private void fork(Scope<Object, Void> s, Runnable task) {
        if (task == null) {
            return;
        }
        Subtask<Object> forked = s.fork(new Runnable() {
            @Override
            public void run() {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    LOG.error("task {} of executor '{}' failed", task, name, e);
                }
            }
        });
        if (forked.state() == Subtask.State.CANCELLED) {
            LOG.warn("task {} of executor '{}' never ran: the shutdown cancelled the executor", task, name);
        }
    }
}
