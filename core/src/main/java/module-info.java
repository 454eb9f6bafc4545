/**
 * Quiesce: structured concurrency on virtual threads and deadline-bounded graceful shutdown. The
 * entry point is {@link dev.quiesce.Scope#open()}.
 */
module dev.quiesce {
    requires org.slf4j;
    requires jdk.jfr;

    exports dev.quiesce;
}
