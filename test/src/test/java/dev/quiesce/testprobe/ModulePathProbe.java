package dev.quiesce.testprobe;

import dev.quiesce.Joiner;
import dev.quiesce.Scope;
import dev.quiesce.test.VirtualClock;
import java.time.Duration;

/**
 * Run by {@code dev.quiesce.test.ModulePathTest} in a child JVM with the kit and core on the module path: the
 * kit's named module reaches core's clock seam through the qualified export, and a scope deadline then runs in
 * virtual time. A class path main class, in a package of its own (the kit's package belongs to its module).
 */
public final class ModulePathProbe {
    private ModulePathProbe() {}

    /** Prints the remaining time of an hour's scope before and after advancing the clock 30 minutes. */
    public static void main(String[] args) throws Exception {
        var clock = new VirtualClock();
        try (var _ = clock.install();
                var scope = Scope.open(Joiner.awaitAll(), c -> c.withTimeout(Duration.ofHours(1)))) {
            System.out.println("module " + VirtualClock.class.getModule().getName() + " remaining "
                    + scope.remaining());
            clock.advance(Duration.ofMinutes(30));
            System.out.println("after advance remaining " + scope.remaining());
        }
    }
}
