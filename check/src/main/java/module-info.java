/** quiesce check: checks a Kubernetes manifest against Quiesce's shutdown timing rule; no exported API. */
module dev.quiesce.check {
    requires org.yaml.snakeyaml;
}
