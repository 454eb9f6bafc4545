package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs Quiesce as a JPMS application does: {@code java -p <modules> -m dev.quiesce.samples/...}. On the
 * module path only the modules the application requires are resolved, so this is where a missing
 * {@code requires} shows (as it did for {@code jdk.unsupported}: SIGTERM then reached the JVM's default
 * handler and the process exited 143 instead of draining and exiting 0).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModulePathIT {
    private static final Set<String> MODULES = Set.of("dev.quiesce", "dev.quiesce.samples", "org.slf4j",
            "org.slf4j.simple", "dev.quiesce.jetty", "org.eclipse.jetty.server");
    /** Jetty's own modules (server, http, io, util, h2c...): the demo on Jetty requires them. */
    private static final String JETTY_MODULES = "org.eclipse.jetty.";

    /** The entries of this test's class path that hold the application's modules (jars or exploded). */
    static String modulePath() {
        List<String> found = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            boolean candidate = entry.endsWith(".jar") || Files.exists(p.resolve("module-info.class"));
            if (!candidate || !Files.exists(p)) {
                continue;
            }
            try {
                for (ModuleReference m : ModuleFinder.of(p).findAll()) {
                    String name = m.descriptor().name();
                    if ((MODULES.contains(name) || name.startsWith(JETTY_MODULES)) && !names.contains(name)) {
                        names.add(m.descriptor().name());
                        found.add(entry);
                    }
                }
            } catch (FindException notAModule) {
                // e.g. a jar whose automatic name cannot be derived: not one of ours
            }
        }
        assertThat(names).as("modules found on the class path %s", System.getProperty("java.class.path"))
                .containsAll(MODULES).allMatch(n -> MODULES.contains(n) || n.startsWith(JETTY_MODULES));
        return String.join(File.pathSeparator, found);
    }

    @Test
    void onTheModulePath_sigtermIsHandled_theSequenceRuns_andTheExitCodeIsZero() throws Exception {
        SampleRun run = SampleRun.launch("Sample01 on the module path", List.of("-p", modulePath(),
                "-m", "dev.quiesce.samples/dev.quiesce.samples.Sample01_SignalHandling"));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.line("signal handling: ")).as(run.describe()).contains("TERM=HANDLED");
        run.assertInOrder("ready; sending SIGTERM to myself",
                "phase DRAIN",
                "worker: stop requested, finished the current unit and returned",
                "shutdown report: signal SIGTERM (SIGNAL), outcome CLEAN, exit code 0",
                "exiting with code 0");
    }

    @Test
    void onTheModulePath_theDemoDrainsEveryRequestUnderSigterm_andExitsZero() throws Exception {
        SampleRun run = SampleRun.launch("the demo on the module path", List.of("-p", modulePath(),
                "-m", "dev.quiesce.samples/dev.quiesce.samples.Demo"));
        assertThat(run.exitCode()).as(run.describe()).isZero();
        assertThat(run.output() + "\n" + run.stderr()).as(run.describe())
                .contains("[client] self-demo: 200 requests, 200 answered 200 OK, 0 failed")
                .contains("outcome CLEAN, exit code 0");
    }
}
