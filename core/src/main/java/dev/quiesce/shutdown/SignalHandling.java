package dev.quiesce.shutdown;

import dev.quiesce.CancelReason;
import dev.quiesce.internal.Signals;
import dev.quiesce.internal.ThreadDump;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shutdown's signals: installs the handlers, whose only act is to queue the signal, and a dispatcher
 * thread that acts on the queue (the first SIGTERM or SIGINT triggers, the second escalates, the third
 * dumps the threads and halts; SIGHUP runs the reload hooks); and the JVM shutdown hook, the fallback
 * where a signal is not handled.
 */
final class SignalHandling {
    private static final Logger LOG = LoggerFactory.getLogger(Shutdown.class);

    /** The shutdown that handles signals in this JVM, if any: signals are per process, so one at a time. */
    private static final AtomicReference<Shutdown> SIGNAL_OWNER = new AtomicReference<>();

    private final Shutdown shutdown;
    private final LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();
    private final AtomicInteger stopSignals = new AtomicInteger();
    private final AtomicInteger reloads = new AtomicInteger();
    private final Map<String, Shutdown.SignalStatus> status = new ConcurrentSkipListMap<>();

    SignalHandling(Shutdown shutdown) {
        this.shutdown = shutdown;
    }

    /** Makes {@code s} the JVM's signal handling shutdown, if it handles signals. */
    static void claim(Shutdown s) {
        if (!s.cfg.signals().isEmpty() && !SIGNAL_OWNER.compareAndSet(null, s)) {
            throw new IllegalStateException("another Shutdown (" + SIGNAL_OWNER.get().cfg.name() + ") already "
                    + "handles signals in this JVM, and a signal can have only one handler: use one Shutdown per "
                    + "process, or start this one with signals() (none)");
        }
    }

    /** Lets another shutdown handle signals once {@code s} has ended. */
    static void release(Shutdown s) {
        SIGNAL_OWNER.compareAndSet(s, null);
    }

    Map<String, Shutdown.SignalStatus> status() {
        return Collections.unmodifiableMap(status);
    }

    void install() {
        Set<String> handled = new LinkedHashSet<>(shutdown.cfg.signals());
        if (!Signals.available()) {
            handled.forEach(s -> status.put(s, Shutdown.SignalStatus.UNAVAILABLE));
            LOG.warn("signals cannot be handled in this runtime: module jdk.unsupported is missing ({}); a JVM "
                    + "shutdown hook runs the shutdown sequence instead and the exit code is the JVM's (143 on "
                    + "SIGTERM); add jdk.unsupported to the runtime image (jlink --add-modules jdk.unsupported)",
                    Signals.unavailableCause());
            return;
        }
        if (handled.isEmpty()) {
            return;
        }
        Thread dispatcher = Thread.ofPlatform().name("quiesce-signals").daemon(true).unstarted(this::dispatch);
        dispatcher.start();
        for (String s : handled) {
            Signals.Install result = Signals.handle(s, () -> signals.offer(s));
            status.put(s, switch (result) {
                case INSTALLED -> Shutdown.SignalStatus.HANDLED;
                case IGNORED_BY_PROCESS -> Shutdown.SignalStatus.IGNORED_BY_PROCESS;
                case REFUSED -> Shutdown.SignalStatus.REFUSED;
                case UNAVAILABLE -> Shutdown.SignalStatus.UNAVAILABLE;
            });
            switch (result) {
                case INSTALLED -> LOG.debug("handling SIG{}", s);
                case IGNORED_BY_PROCESS -> LOG.warn("SIG{} is ignored by this process (inherited from its parent, "
                        + "e.g. a background job of a non-interactive shell): it will not start the shutdown; "
                        + "start the process so that SIG{} is not ignored", s, s);
                case REFUSED -> LOG.warn("SIG{} is reserved by the JVM or OS (e.g. -Xrs): not handled; the JVM "
                        + "shutdown hook runs the sequence if the JVM exits", s);
                case UNAVAILABLE -> LOG.warn("SIG{} cannot be handled in this runtime", s);
                default -> throw new AssertionError(result);
            }
        }
    }

    /** Takes signals from the handler's queue and acts; the handler itself only enqueues. */
    private void dispatch() {
        for (;;) {
            String s;
            try {
                s = signals.take();
            } catch (InterruptedException e) {
                return;
            }
            if (s.equals("HUP")) {
                runReloadHooks();
                continue;
            }
            int n = stopSignals.incrementAndGet();
            if (n == 1) {
                LOG.info("SIG{} received: starting the shutdown sequence", s);
                shutdown.trigger(new CancelReason.Signal(s), "SIGNAL");
            } else if (n == 2) {
                LOG.warn("SIG{} received again: skipping the rest of the grace period, cancelling now", s);
                shutdown.escalate();
            } else {
                dumpJson(s);
                Runtime.getRuntime().halt(ShutdownReport.HALTED_EXIT_CODE);
            }
        }
    }

    /**
     * The third signal's dump: the JDK's JSON thread dump and the scope tree, to files in {@code quiesce.dump.dir}
     * (default {@code java.io.tmpdir}) whose paths go to the log and to standard error (there may be no logging
     * backend). The text dump (platform threads and the scope tree) goes to standard error first, as before:
     * in a container that is about to go, standard error is what the log collector keeps.
     */
    private static void dumpJson(String s) {
        System.err.println(ThreadDump.capture("SIG" + s + " received a third time"));
        String dir = System.getProperty("quiesce.dump.dir", System.getProperty("java.io.tmpdir"));
        try {
            ThreadDump.JsonDump d = ThreadDump.writeJson(java.nio.file.Path.of(dir));
            System.err.println("quiesce: SIG" + s + " received a third time: thread dump (JSON) " + d.threads()
                    + " scope tree (JSON) " + d.tree() + "; halting with exit code " + ShutdownReport.HALTED_EXIT_CODE);
            LOG.error("SIG{} received a third time: thread dump (JSON, every virtual thread) written to {}, scope tree "
                    + "(JSON) to {}; halting with exit code {}", s, d.threads(), d.tree(), ShutdownReport.HALTED_EXIT_CODE);
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("quiesce: the JSON thread dump could not be written to " + dir + " (" + e + "): set "
                    + "-Dquiesce.dump.dir to a writable directory");
            LOG.error("SIG{} received a third time: the JSON thread dump could not be written to {} ({}; set "
                    + "-Dquiesce.dump.dir to a writable directory); the text dump is on standard error; halting with "
                    + "exit code {}", s, dir, e.toString(), ShutdownReport.HALTED_EXIT_CODE);
        }
    }

    void runReloadHooks() {
        int n = reloads.incrementAndGet();
        List<Registered<Shutdown.Hook>> hooks = shutdown.registry.reloadHooks;
        LOG.info("SIGHUP received: running {} reload hooks (reload #{})", hooks.size(), n);
        for (Registered<Shutdown.Hook> h : hooks) {
            HookRunner.Result r = HookRunner.run("quiesce-reload-" + h.name(), h.timeout(), () -> {
                h.hook().run();
                return null;
            });
            if (r.status() != HookRunner.Status.OK) {
                LOG.warn("reload hook {} {}", h.name(), r.status(), r.error());
            }
        }
    }

    /** The JVM shutdown hook's body: runs the sequence if nothing else started it, and waits for it. */
    void onJvmShutdown() {
        shutdown.jvmShuttingDown = true;
        if (!shutdown.isShuttingDown() && shutdown.trigger(CancelReason.explicit(
                "JVM shutdown (System.exit, or a signal Quiesce does not handle)"), "JVM_SHUTDOWN")) {
            LOG.info("JVM is shutting down: running the shutdown sequence from the JVM shutdown hook");
        }
        shutdown.triggers.releaseHold(); // a sequence held after Shutdown.drain() goes on: the JVM is exiting
        try {
            // bounded: the watchdog halts the JVM at the platform budget anyway
            ShutdownTime.await(shutdown.done, dev.quiesce.internal.Timers.saturatedNanos(shutdown.cfg.platformBudget()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
