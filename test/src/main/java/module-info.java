/**
 * Quiesce's test kit: {@link dev.quiesce.test.VirtualClock}, {@link dev.quiesce.test.ShutdownRehearsal} and
 * {@link dev.quiesce.test.QuiesceLeakCheck}, for testing a service's own shutdown and cancellation paths.
 */
module dev.quiesce.test {
    requires transitive dev.quiesce;
    requires transitive org.junit.jupiter.api;
    requires java.management;
    requires jdk.management; // HotSpotDiagnosticMXBean.dumpThreads: the one view of every virtual thread

    exports dev.quiesce.test;
}
