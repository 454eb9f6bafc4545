/**
 * The adapter test kit: {@link dev.quiesce.tck.IngressContractTest}, the one JUnit suite every
 * {@link dev.quiesce.shutdown.Ingress} implementation passes, through an {@link dev.quiesce.tck.IngressFactory}.
 */
package dev.quiesce.tck;
