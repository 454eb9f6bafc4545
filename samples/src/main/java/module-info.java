/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
// quiesce-jetty is an automatic module (Automatic-Module-Name dev.quiesce.jetty): it has no descriptor of its own
@SuppressWarnings("requires-automatic")
module dev.quiesce.samples {
    requires dev.quiesce;
    requires jdk.httpserver; // the demo service and the HTTP samples
    requires java.net.http; // the demo's self-demo load generator
    requires dev.quiesce.jetty; // the demo service on Jetty (serve --server jetty)
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.http;
    requires org.eclipse.jetty.util;
    requires org.eclipse.jetty.http2.server;
}
