package dev.quiesce.spring;

import dev.quiesce.Scope;
import dev.quiesce.shutdown.Shutdown;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.task.TaskRejectedException;
import org.springframework.scheduling.TaskScheduler;
import org.springframework.scheduling.Trigger;
import org.springframework.scheduling.support.PeriodicTrigger;
import org.springframework.scheduling.support.SimpleTriggerContext;

/**
 * A {@link TaskScheduler} (Boot's {@code taskScheduler}, so {@code @Scheduled} methods run on it) whose runs live in
 * the shutdown's scope tree: each schedule is a virtual thread {@code /<shutdown>/<name>/task-N} of a
 * {@link QuiesceTaskExecutor} that waits for the trigger's next time and runs the task there, run after run.
 *
 * <ul>
 *   <li>At the drain (the soft stop): no new run starts (the schedules stop being triggered, and a new schedule is
 *       refused with {@link TaskRejectedException}); a run in progress sees {@link Scope#stopRequested()}, and the
 *       drain waits for it, up to the grace period.
 *   <li>At the end of the grace period (CANCEL): a run still going is interrupted; one that does not end in the
 *       cancel grace is a straggler in the report, with its scope path and stack.
 * </ul>
 * A repeating task that throws is logged and runs again at its next time; a one-shot task's failure completes its
 * future. Runs of one schedule never overlap (as with Spring's own schedulers); a fixed rate that a run overran
 * starts the next run at once. {@link ScheduledFuture#cancel(boolean)} ends the schedule (interrupting a run in
 * progress only when asked to).
 *
 * <p>Thread-safe.
 */
public final class QuiesceTaskScheduler implements TaskScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(QuiesceTaskScheduler.class);
    /** The longest a waiting schedule goes without looking at the soft stop. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String name;
    private final QuiesceTaskExecutor runs;
    private final Clock clock = Clock.systemDefaultZone();

    /**
     * Starts the scheduler's service in {@code shutdown}.
     *
     * @param shutdown the shutdown whose tree the runs live in
     * @param name the scope's and service's name (e.g. {@code scheduled})
     */
    public QuiesceTaskScheduler(Shutdown shutdown, String name) {
        this.name = name;
        this.runs = new QuiesceTaskExecutor(shutdown, name);
    }

    @Override
    public Clock getClock() {
        return clock;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, Trigger trigger) {
        return start(task, trigger, true);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, Instant startTime) {
        Objects.requireNonNull(startTime, "startTime");
        Trigger once = new Trigger() {
            @Override
            public Instant nextExecution(org.springframework.scheduling.TriggerContext context) {
                return context.lastScheduledExecution() == null ? startTime : null;
            }
        };
        return start(task, once, false);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Instant startTime, Duration period) {
        return start(task, periodic(period, Duration.between(clock.instant(), startTime), true), true);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable task, Duration period) {
        return scheduleAtFixedRate(task, clock.instant(), period);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Instant startTime, Duration delay) {
        Trigger trigger = periodic(delay, Duration.between(clock.instant(), startTime), false);
        return start(task, trigger, true);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Duration delay) {
        return start(task, periodic(delay, Duration.ZERO, false), true);
    }

    private static Trigger periodic(Duration period, Duration initialDelay, boolean fixedRate) {
        if (Objects.requireNonNull(period, "period").isNegative() || period.isZero()) {
            throw new IllegalArgumentException("the period of a schedule must be positive, was " + period
                    + ": e.g. Duration.ofSeconds(10)");
        }
        PeriodicTrigger trigger = new PeriodicTrigger(period);
        trigger.setFixedRate(fixedRate);
        trigger.setInitialDelay(initialDelay.isNegative() ? Duration.ZERO : initialDelay);
        return trigger;
    }

    private ScheduledFuture<?> start(Runnable task, Trigger trigger, boolean repeating) {
        Schedule schedule = new Schedule(Objects.requireNonNull(task, "task"), Objects.requireNonNull(trigger,
                "trigger"), repeating);
        try {
            runs.execute(schedule);
        } catch (TaskRejectedException e) {
            throw new TaskRejectedException("the service is shutting down: scheduler '" + name
                    + "' starts no new schedule (" + task + ")", e);
        }
        return schedule;
    }

    /** One schedule: its thread in the scope tree waits for each next time and runs the task. */
    private final class Schedule implements Runnable, ScheduledFuture<Object> {
        private final Runnable task;
        private final Trigger trigger;
        private final boolean repeating;
        private final SimpleTriggerContext context = new SimpleTriggerContext(clock);
        private final CompletableFuture<Object> done = new CompletableFuture<>();
        private volatile Instant next;
        private volatile Thread thread;
        private volatile boolean running;
        private volatile boolean cancelled;

        Schedule(Runnable task, Trigger trigger, boolean repeating) {
            this.next = trigger.nextExecution(context); // the first time: when the schedule is made
            this.task = task;
            this.trigger = trigger;
            this.repeating = repeating;
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            try {
                while (!cancelled && next != null) {
                    Instant scheduled = next;
                    if (!awaitTime(scheduled)) {
                        break; // the soft stop (the drain) or a cancel: no new run
                    }
                    Instant actual = clock.instant();
                    running = true;
                    try {
                        task.run();
                    } catch (RuntimeException | Error e) {
                        if (!repeating) {
                            done.completeExceptionally(e);
                            return;
                        }
                        LOG.error("scheduled task {} of scheduler '{}' failed; it runs again at its next time", task,
                                name, e);
                    } finally {
                        running = false;
                    }
                    context.update(scheduled, actual, clock.instant());
                    next = trigger.nextExecution(context);
                }
            } finally {
                thread = null;
                done.complete(null);
            }
        }

        /** Waits until {@code time}; false if the scope was asked to stop, or the schedule cancelled, first. */
        private boolean awaitTime(Instant time) {
            for (;;) {
                if (cancelled || Scope.stopRequested()) {
                    return false;
                }
                long left = Duration.between(clock.instant(), time).toNanos();
                if (left <= 0) {
                    return true;
                }
                try {
                    Thread.sleep(Duration.ofNanos(Math.min(left, POLL_NANOS)));
                } catch (InterruptedException e) {
                    return false; // cancelled (the schedule, or the tree)
                }
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            if (done.isDone()) {
                return false;
            }
            cancelled = true;
            Thread t = thread;
            if (t != null && (!running || mayInterruptIfRunning)) {
                t.interrupt();
            }
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled || done.isDone();
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
            if (cancelled) {
                throw new CancellationException("the schedule of " + task + " was cancelled");
            }
            return done.get();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException,
                TimeoutException {
            if (cancelled) {
                throw new CancellationException("the schedule of " + task + " was cancelled");
            }
            return done.get(timeout, unit);
        }

        @Override
        public long getDelay(TimeUnit unit) {
            Instant n = next;
            return n == null ? 0 : unit.convert(Duration.between(clock.instant(), n));
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }
    }
}
