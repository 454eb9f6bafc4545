package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its API packages only; everything in dev.quiesce.internal stays hidden. */
class ModuleDescriptorTest {

    private static ModuleDescriptor descriptor() throws Exception {
        Path classes = Path.of(Scope.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return ModuleFinder.of(classes).find("dev.quiesce").orElseThrow().descriptor();
    }

    @Test
    void exportsOnlyTheApiPackages_andTheInternalsOnlyToTheTestKit() throws Exception {
        ModuleDescriptor d = descriptor();
        Set<String> exported = d.exports().stream()
                .filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toSet());
        assertThat(exported).containsExactlyInAnyOrder("dev.quiesce", "dev.quiesce.shutdown", "dev.quiesce.http");
        assertThat(d.exports()).filteredOn(ModuleDescriptor.Exports::isQualified).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo("dev.quiesce.internal");
            assertThat(e.targets()).containsExactly("dev.quiesce.test");
        });
        assertThat(d.packages()).contains("dev.quiesce.internal");
        assertThat(d.opens()).isEmpty();
    }

    @Test
    void requiresOnlySlf4jAndJdkModules() throws Exception {
        Set<String> required = descriptor().requires().stream()
                .map(ModuleDescriptor.Requires::name)
                .filter(n -> !n.equals("java.base"))
                .collect(Collectors.toSet());
        assertThat(required).allMatch(n -> n.equals("org.slf4j") || n.startsWith("jdk."));
    }

    @Test
    void requiresJdkUnsupported_notStatically_soSignalHandlersWorkOnTheModulePath() throws Exception {
        // a static requirement is not resolved at run time: on the module path sun.misc.Signal would be
        // missing and SIGTERM would exit 143 (ModulePathIT in samples runs the demo that way)
        ModuleDescriptor.Requires unsupported = descriptor().requires().stream()
                .filter(r -> r.name().equals("jdk.unsupported")).findFirst().orElseThrow();
        assertThat(unsupported.modifiers()).doesNotContain(ModuleDescriptor.Requires.Modifier.STATIC);
    }

    @Test
    void requiresJdkManagement_notStatically_soTheThirdSignalsJsonDumpWorksOnTheModulePath() throws Exception {
        ModuleDescriptor.Requires management = descriptor().requires().stream()
                .filter(r -> r.name().equals("jdk.management")).findFirst().orElseThrow();
        assertThat(management.modifiers()).doesNotContain(ModuleDescriptor.Requires.Modifier.STATIC);
    }
}
