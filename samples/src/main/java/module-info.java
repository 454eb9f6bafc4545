/** Runnable samples of Quiesce and the demo; they use Quiesce's public API only. */
module dev.quiesce.samples {
    requires dev.quiesce;
}
