package dev.quiesce.check;

/**
 * One of Quiesce's shutdown settings, with its command-line flag, its environment variable and its defaults.
 * The defaults are {@code Shutdown.Builder}'s (core/src/main/java/dev/quiesce/shutdown/ShutdownBuilder.java) and, for a
 * container running the demo, {@code DemoService}'s (samples); the core is not a dependency, so they are copied
 * here, and {@code SettingTest} checks them against the sources.
 */
enum Setting {
    PRE_DRAIN("pre-drain", "preDrainDelay", 0, Demo.OPTION, 1_000, true),
    STOP_ACCEPTING("stop accepting", "stopAcceptingBudget", 1_000, Demo.BUILDER, 1_000, false),
    GRACE("grace", "gracePeriod", 15_000, Demo.OPTION, 10_000, false),
    CANCEL_GRACE("cancel grace", "cancelGrace", 2_000, Demo.OPTION, 1_000, false),
    PERSIST("persist", "persistBudget", 4_000, Demo.FIXED, 2_000, false),
    CLEANUP("cleanup", "cleanupBudget", 4_000, Demo.FIXED, 2_000, false),
    MARGIN("margin", "margin", 2_000, Demo.BUILDER, 2_000, true),
    BUDGET("platform budget", "platformBudget", 30_000, Demo.OPTION, 30_000, false);

    /** How the demo ({@code quiesce-demo.jar serve}) sets a value. */
    enum Demo {
        /** A command-line option ({@code --grace-ms}) with the demo's own default. */
        OPTION,
        /** A value the demo hard-codes (persist and cleanup budgets: 2 s). */
        FIXED,
        /** The demo leaves the Shutdown.Builder default. */
        BUILDER
    }

    final String label;
    final String builderMethod;
    final long builderDefaultMs;
    final Demo demo;
    final long demoMs;
    final boolean zeroAllowed;

    Setting(String label, String builderMethod, long builderDefaultMs, Demo demo, long demoMs, boolean zeroAllowed) {
        this.label = label;
        this.builderMethod = builderMethod;
        this.builderDefaultMs = builderDefaultMs;
        this.demo = demo;
        this.demoMs = demoMs;
        this.zeroAllowed = zeroAllowed;
    }

    /** The checker's flag, also the demo's option where it has one: {@code --pre-drain-ms}. */
    String flag() {
        return "--" + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + "-ms";
    }

    /** The environment variable the checker reads from a container: {@code QUIESCE_PRE_DRAIN_MS}. */
    String env() {
        return "QUIESCE_" + name() + "_MS";
    }

    /** Whether the demo takes this setting on its command line. */
    boolean demoOption() {
        return demo == Demo.OPTION;
    }
}
