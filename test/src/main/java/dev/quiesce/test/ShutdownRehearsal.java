package dev.quiesce.test;

import dev.quiesce.CancelReason;
import dev.quiesce.shutdown.Shutdown;
import dev.quiesce.shutdown.ShutdownReport;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A service's real {@link Shutdown}, built inside a test and sent a simulated TERM, HUP or second TERM
 * in-process: no signal is sent and nothing calls {@code System.exit}. The result is the sequence's
 * {@link ShutdownReport} and the exit code the process would have exited with.
 *
 * {@snippet class=dev.quiesce.test.ShutdownRehearsalTest region=rehearsal}
 *
 * <p>The rehearsal takes the service's own {@link Shutdown.Builder} (its budgets, pre-drain delay, grace
 * period) and starts it with {@code signals()} (none: the test's JVM keeps its own signal handling) and
 * {@link Shutdown.ExitPolicy#RETURN}; then {@code wiring} registers the service's tasks, hooks and ingresses on
 * it, as the service's start-up does, and the rehearsal marks it ready (unless the wiring did, or the sequence
 * already started).
 *
 * <p>In real time ({@link #start(Shutdown.Builder, Consumer)}) a rehearsal waits as long as the timeline takes.
 * With a {@link VirtualClock} ({@link #start(VirtualClock, Shutdown.Builder, Consumer)}, the clock installed by
 * the test) it runs the timeline in virtual time: {@link #term()} steps the clock from one due moment to the
 * next until the sequence has ended. Either way it gives up after {@link #REAL_PATIENCE} of real time with an
 * {@link AssertionError} that says in which phase the sequence was.
 *
 * <p>{@link #close()} ends a sequence the test did not end (a TERM and a second TERM), so that a failed
 * assertion does not leave a shutdown running. Not thread-safe: one test thread drives it.
 */
public final class ShutdownRehearsal implements AutoCloseable {
    /** How long, in real time, the rehearsal waits for a sequence to end before it fails the test. */
    public static final Duration REAL_PATIENCE = Duration.ofSeconds(30);
    private static final long POLL_NANOS = Duration.ofMillis(1).toNanos();

    private final Shutdown shutdown;
    private final VirtualClock clock; // null: real time
    private boolean termSent;

    private ShutdownRehearsal(Shutdown shutdown, VirtualClock clock) {
        this.shutdown = shutdown;
        this.clock = clock;
    }

    /**
     * Starts {@code builder}'s shutdown for a rehearsal in real time and lets {@code wiring} register the
     * service on it.
     *
     * @return the rehearsal, to close (try-with-resources)
     * @throws IllegalArgumentException if the builder's configuration is invalid (as {@link Shutdown.Builder#start()})
     */
    public static ShutdownRehearsal start(Shutdown.Builder builder, Consumer<? super Shutdown> wiring) {
        return start(null, builder, wiring);
    }

    /**
     * Like {@link #start(Shutdown.Builder, Consumer)}, in the virtual time of {@code clock}, which the test has
     * {@linkplain VirtualClock#install() installed}.
     *
     * @return the rehearsal, to close (try-with-resources) before the clock's handle
     */
    public static ShutdownRehearsal start(VirtualClock clock, Shutdown.Builder builder,
            Consumer<? super Shutdown> wiring) {
        Objects.requireNonNull(builder, "builder must not be null: pass the service's Shutdown.builder()...");
        Objects.requireNonNull(wiring, "wiring must not be null: pass what registers the service's hooks, or s -> {}");
        Shutdown shutdown = builder.signals().exitPolicy(Shutdown.ExitPolicy.RETURN).start();
        var rehearsal = new ShutdownRehearsal(shutdown, clock);
        try {
            wiring.accept(shutdown);
            shutdown.markReady();
        } catch (RuntimeException | Error e) {
            rehearsal.close();
            throw e;
        }
        return rehearsal;
    }

    /** The shutdown under rehearsal: fork tasks on it, enter its in-flight tracker, read its phase. */
    public Shutdown shutdown() {
        return shutdown;
    }

    /**
     * Sends a simulated SIGTERM (the sequence starts with reason {@code Signal(TERM)}) and returns at once:
     * for a test that acts while the sequence runs, then {@link #awaitResult()} or {@link #secondTerm()}.
     */
    public void sendTerm() {
        termSent = true;
        shutdown.initiate(new CancelReason.Signal("TERM"));
    }

    /**
     * Sends a simulated SIGTERM and waits until the sequence has ended.
     *
     * @return its report and exit code
     * @throws AssertionError if it did not end within {@link #REAL_PATIENCE}
     * @throws InterruptedException if interrupted while waiting
     */
    public Result term() throws InterruptedException {
        sendTerm();
        return awaitResult();
    }

    /**
     * Sends a second simulated SIGTERM (a first one too, if none was sent), which cuts the pre-drain delay and
     * the grace period short, and waits until the sequence has ended.
     *
     * @return its report and exit code
     * @throws AssertionError if it did not end within {@link #REAL_PATIENCE}
     * @throws InterruptedException if interrupted while waiting
     */
    public Result secondTerm() throws InterruptedException {
        if (!termSent) {
            sendTerm();
        }
        shutdown.escalate();
        return awaitResult();
    }

    /** Sends a simulated SIGHUP: runs the reload hooks now, as {@link Shutdown#reload()}; the service keeps serving. */
    public void hup() {
        shutdown.reload();
    }

    /**
     * Waits until the sequence, started by {@link #sendTerm()} or otherwise, has ended; with a virtual clock,
     * steps the clock (never further than the sequence's budget) until it has.
     *
     * @return its report and exit code
     * @throws AssertionError if it did not end within {@link #REAL_PATIENCE}, saying in which phase it is
     * @throws IllegalStateException if the sequence was not started
     * @throws InterruptedException if interrupted while waiting
     */
    public Result awaitResult() throws InterruptedException {
        if (!shutdown.isShuttingDown()) {
            throw new IllegalStateException("the shutdown has not started: call term() or sendTerm() first");
        }
        BooleanSupplier ended = () -> shutdown.report().isPresent();
        if (clock != null) {
            // never past the sequence's own budget: beyond it only the watchdog is due, and it halts the JVM
            clock.manual().runUntilDone(ended, shutdown::remaining, REAL_PATIENCE);
        } else {
            long giveUpAt = System.nanoTime() + REAL_PATIENCE.toNanos();
            while (!ended.getAsBoolean() && System.nanoTime() - giveUpAt < 0) {
                LockSupport.parkNanos(this, POLL_NANOS); // a bounded poll of observed state
            }
        }
        Optional<ShutdownReport> report = shutdown.report();
        if (report.isEmpty()) {
            throw new AssertionError("the rehearsed shutdown did not end within " + REAL_PATIENCE + " of real "
                    + "time; it is in phase " + shutdown.phase().map(Enum::name).orElse("?")
                    + (clock == null ? "" : " at virtual +" + clock.elapsed() + " (a hook or task that waits "
                    + "outside Quiesce's clock, e.g. on a lock or an untimed wait, holds it)"));
        }
        return new Result(report.get(), report.get().exitCode());
    }

    /**
     * Ends the sequence if the test has not (a TERM and a second TERM, then waits for it), so that nothing it
     * started outlives the test. Idempotent.
     *
     * @throws AssertionError if it did not end within {@link #REAL_PATIENCE}
     */
    @Override
    public void close() {
        if (shutdown.report().isPresent()) {
            return;
        }
        if (!termSent) {
            sendTerm();
        }
        shutdown.escalate();
        try {
            awaitResult();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What a rehearsed sequence ended with.
     *
     * @param report the sequence's report
     * @param exitCode the exit code the process would have exited with ({@link ShutdownReport#exitCode()})
     */
    public record Result(ShutdownReport report, int exitCode) {
        /** Validates. */
        public Result {
            Objects.requireNonNull(report, "report");
        }
    }
}
