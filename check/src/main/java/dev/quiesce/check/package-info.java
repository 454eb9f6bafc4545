/**
 * {@code quiesce check deployment.yaml}: {@link dev.quiesce.check.Check} reads a Kubernetes manifest and checks
 * each Deployment and StatefulSet against Quiesce's shutdown timing rule (docs/kubernetes.md).
 */
package dev.quiesce.check;
