/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
module dev.quiesce.samples {
    requires dev.quiesce;
    requires jdk.httpserver; // the demo service and the HTTP samples
    requires java.net.http; // the demo's self-demo load generator
    // Sample18 runs the test kit from its main; static: the demo and the other samples run on the module path
    // without it (ModulePathIT), and on the class path (the demo jar) it is there
    requires static dev.quiesce.test;
}
