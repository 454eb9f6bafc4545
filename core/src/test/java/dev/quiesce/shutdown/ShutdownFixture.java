package dev.quiesce.shutdown;

import dev.quiesce.Scope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small service run as a child JVM by {@link ShutdownProcessTest}, which sends it real signals. It
 * prints one line per event ({@code READY}, {@code PHASE_START X}, {@code PHASE_END X note},
 * {@code CLOSE name}, {@code REPORT {json}}) so the test can assert order and outcome.
 *
 * <p>Usage: {@code ShutdownFixture <scenario> <state-file>}; scenarios: busy, stubborn, hooks, escalate,
 * escalate-block-persist, reload, nosignals, two-shutdowns, stuck-listener, starter-fails, atomic-writer.
 */
public final class ShutdownFixture {
    private ShutdownFixture() {}

    static void out(String line) {
        System.out.println(line); // one println per line: PrintStream keeps lines whole
    }

    public static void main(String[] args) throws Exception {
        String scenario = args[0];
        Path state = Path.of(args[1]);
        if (scenario.equals("atomic-writer")) {
            atomicWriter(state);
            return;
        }
        Shutdown.Builder b = Shutdown.builder()
                .platformBudget(Duration.ofSeconds(60))
                .gracePeriod(Duration.ofSeconds(scenario.equals("stubborn") ? 1 : 10))
                .cancelGrace(Duration.ofMillis(500))
                .persistBudget(Duration.ofSeconds(10))
                .cleanupBudget(Duration.ofSeconds(5))
                .onPhase(new Shutdown.PhaseListener() {
                    @Override
                    public void started(Phase phase) {
                        out("PHASE_START " + phase);
                    }

                    @Override
                    public void ended(ShutdownReport.PhaseTiming t) {
                        out("PHASE_END " + t.phase() + " " + t.note());
                    }

                    @Override
                    public void reported(ShutdownReport report) {
                        out("REPORT " + report.toJson());
                    }
                });
        if (scenario.equals("stuck-listener")) {
            // a phase listener that never returns blocks the coordinator: only the watchdog ends this
            b.platformBudget(Duration.ofSeconds(4)).margin(Duration.ofSeconds(1)).gracePeriod(Duration.ofMillis(500))
                    .persistBudget(Duration.ofMillis(500)).cleanupBudget(Duration.ofMillis(500))
                    .onPhase(new Shutdown.PhaseListener() {
                        @Override
                        public void started(Phase phase) {
                            if (phase == Phase.PERSIST) {
                                for (;;) {
                                    try {
                                        Thread.sleep(Duration.ofDays(1));
                                    } catch (InterruptedException ignored) {
                                        // stuck for good
                                    }
                                }
                            }
                        }
                    });
        }
        switch (scenario) {
            case "escalate", "escalate-block-persist" -> b.preDrainDelay(Duration.ofSeconds(20));
            case "nosignals" -> b.signals();
            default -> { }
        }
        Shutdown shutdown = b.start();
        out("SIGNALS " + shutdown.signalHandling());
        if (scenario.equals("two-shutdowns")) {
            try {
                Shutdown.builder().name("second").start();
                out("SECOND started (wrong)");
            } catch (IllegalStateException e) {
                out("SECOND " + e);
            }
        }

        var units = new AtomicLong();
        switch (scenario) {
            case "busy", "nosignals", "starter-fails" -> {
                for (int i = 1; i <= 3; i++) {
                    int id = i;
                    shutdown.fork("worker-" + id, () -> {
                        long mine = 0;
                        while (!Scope.stopRequested()) {
                            Thread.sleep(5); // one unit of work
                            mine++;
                            units.incrementAndGet();
                        }
                        out("WORKER worker-" + id + " finished after " + mine + " units, thread "
                                + Thread.currentThread().getName());
                    });
                }
            }
            case "stubborn" -> shutdown.fork("stubborn", ShutdownFixture::ignoreInterrupts);
            case "reload" -> shutdown.onReload("config", () -> out("RELOAD readiness=" + shutdown.readiness().get()));
            default -> { }
        }

        shutdown.onPersist("state", budget -> {
            out("PERSIST budget>0=" + !budget.isZero());
            if (scenario.equals("escalate-block-persist")) {
                Thread.sleep(Duration.ofDays(1));
            }
            AtomicFiles.writeString(state, "units=" + units.get() + "\n");
        });
        shutdown.onCleanup("first", () -> out("CLOSE first"));
        shutdown.onCleanup("second", () -> {
            out("CLOSE second");
            if (scenario.equals("hooks")) {
                throw new IllegalStateException("second fails to close");
            }
        });
        if (scenario.equals("hooks")) {
            shutdown.onCleanup("third", () -> {
                out("CLOSE third (hangs)");
                for (;;) { // ignores interrupts: only the timeout gets past it
                    try {
                        Thread.sleep(Duration.ofDays(1));
                    } catch (InterruptedException ignored) {
                        // keep hanging
                    }
                }
            }, Duration.ofMillis(300));
        }
        shutdown.onCleanup("fourth", () -> out("CLOSE fourth"));

        if (scenario.equals("starter-fails")) {
            // a startup that fails after the shutdown has started, before the service is ready: a port in use
            out("STARTING pid=" + ProcessHandle.current().pid());
            throw new IllegalStateException("cannot listen on port 8080: address already in use");
        }
        shutdown.markReady();
        out("READY pid=" + ProcessHandle.current().pid());
        ShutdownReport report = shutdown.awaitTermination();
        // reached only if the exit policy returns, which it does not here; the JVM exits in finish()
        out("UNEXPECTED RETURN " + report);
    }

    static void ignoreInterrupts() {
        for (;;) {
            try {
                Thread.sleep(Duration.ofDays(1));
            } catch (InterruptedException ignored) {
                // this worker ignores interrupts: the shutdown must abandon it
            }
        }
    }

    /** Writes two different large contents in turn, forever, until killed. */
    static void atomicWriter(Path state) throws Exception {
        byte[] a = new byte[512 * 1024];
        byte[] bb = new byte[512 * 1024];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(bb, (byte) 'b');
        AtomicFiles.write(state, a);
        out("WRITING");
        for (long i = 0; ; i++) {
            AtomicFiles.write(state, (i % 2 == 0) ? bb : a);
        }
    }

    static String contentKind(byte[] content) {
        if (content.length != 512 * 1024) {
            return "torn (length " + content.length + ")";
        }
        byte first = content[0];
        for (byte x : content) {
            if (x != first) {
                return "torn (mixed)";
            }
        }
        return new String(new byte[] {first}, StandardCharsets.US_ASCII);
    }
}
