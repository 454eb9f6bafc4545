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

    // com.sun.net.httpserver, for dev.quiesce.http only: applications that do not use it need not have it
    requires static transitive jdk.httpserver;

    exports dev.quiesce;
    exports dev.quiesce.shutdown;
    exports dev.quiesce.http;
}
