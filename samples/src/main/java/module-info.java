/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
module dev.quiesce.samples {
    requires dev.quiesce;
    requires jdk.httpserver; // the demo service and the HTTP samples
    requires java.net.http; // the demo's self-demo load generator
    requires dev.quiesce.test; // Sample18: the test kit's rehearsal and virtual clock, run from a main
}
