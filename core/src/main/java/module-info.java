/**
 * Quiesce: structured concurrency on virtual threads and deadline-bounded graceful shutdown. The
 * entry points are {@link dev.quiesce.Scope#open()} and {@link dev.quiesce.shutdown.Shutdown#builder()}.
 */
module dev.quiesce {
    requires org.slf4j;
    requires jdk.jfr;
    // sun.misc.Signal, looked up reflectively (dev.quiesce.internal.Signals) so that a runtime without
    // this module still runs, with a JVM shutdown hook instead of signal handlers
    requires static jdk.unsupported;

    exports dev.quiesce;
    exports dev.quiesce.shutdown;
}
