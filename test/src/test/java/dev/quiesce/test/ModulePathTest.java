package dev.quiesce.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.Scope;
import dev.quiesce.testprobe.ModulePathProbe;
import java.io.File;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kit is a named module that core's qualified export reaches; it works on the module path, not only here. */
class ModulePathTest {

    private static Path location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void theKitIsModuleDevQuiesceTest_exportingOnlyItsApi_andRequiringCoreAndJUnitTransitively() throws Exception {
        ModuleDescriptor d = ModuleFinder.of(location(VirtualClock.class)).find("dev.quiesce.test").orElseThrow()
                .descriptor();
        assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly("dev.quiesce.test");
        assertThat(d.requires()).filteredOn(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
                .extracting(ModuleDescriptor.Requires::name)
                .containsExactlyInAnyOrder("dev.quiesce", "org.junit.jupiter.api");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void onTheModulePath_theVirtualClockMovesCoresTime() throws Exception {
        // the module path: the kit's and core's classes, and the jars they require (JUnit's API and slf4j)
        List<String> modulePath = new ArrayList<>(List.of(location(VirtualClock.class).toString(),
                location(Scope.class).toString()));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (name.startsWith("junit-jupiter-api-") || name.startsWith("junit-platform-commons-")
                    || name.startsWith("opentest4j-") || name.startsWith("apiguardian-api-")
                    || name.startsWith("slf4j-api-") || name.startsWith("jspecify-")) {
                modulePath.add(entry);
            }
        }
        List<String> cmd = new ArrayList<>(Arrays.asList(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", String.join(File.pathSeparator, modulePath),
                "--add-modules", "dev.quiesce.test",
                "-cp", location(ModulePathProbe.class).toString(),
                ModulePathProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit code; output:%n%s", out).isZero();
        assertThat(out).contains("module dev.quiesce.test remaining PT1H", "after advance remaining PT30M");
    }
}
