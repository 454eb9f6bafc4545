/**
 * Quiesce: structured concurrency on virtual threads and deadline-bounded graceful shutdown. The
 * entry points are {@link dev.quiesce.Scope#open()} and {@link dev.quiesce.shutdown.Shutdown#builder()}.
 */
@SuppressWarnings("module") // the qualified export's target, dev.quiesce.test, is built after this module
module dev.quiesce {
    requires org.slf4j;
    requires jdk.jfr;
    // sun.misc.Signal, for the SIGTERM/SIGINT/SIGHUP handlers. Not 'static': a module that is only
    // required statically is not resolved at run time, so an application on the module path would
    // silently lose its signal handlers (SIGTERM would exit 143 through the shutdown-hook fallback).
    // Every JDK has this module, and jlink adds it to an image built from this one. On the class path
    // this line has no effect: Signals looks the API up reflectively and falls back to a shutdown hook
    // in a runtime without it.
    requires jdk.unsupported;
    // com.sun.management.HotSpotDiagnosticMXBean, for the JSON thread dump of the third signal (the one dump
    // that lists unmounted virtual threads). Not 'static', for the reason above: on the module path a static
    // requirement is not resolved, and the third SIGTERM would lose its dump; every JDK has the module.
    requires jdk.management;

    // com.sun.net.httpserver, for dev.quiesce.http only: applications that do not use it need not have it
    requires static transitive jdk.httpserver;

    exports dev.quiesce;
    exports dev.quiesce.shutdown;
    exports dev.quiesce.http;

    // The clock seam (Clocks, ManualClock) and the leak probe, for the test kit (module quiesce-test) only: not
    // an API. A qualified export rather than a public clock API keeps the seam free to change with the kit;
    // see test/README.md. Class path users of the kit need nothing: there are no module boundaries there.
    exports dev.quiesce.internal to dev.quiesce.test;
}
