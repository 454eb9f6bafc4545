/**
 * The adapter test kit: {@link dev.quiesce.tck.IngressContractTest}, the one JUnit suite every
 * {@link dev.quiesce.shutdown.Ingress} implementation passes, through an {@link dev.quiesce.tck.IngressFactory};
 * and the suites an adapter opts into when its server speaks the protocol: {@link dev.quiesce.tck.Http2ContractTest}
 * (h2c GOAWAY), {@link dev.quiesce.tck.WebSocketContractTest} (1001) and {@link dev.quiesce.tck.SseContractTest}
 * (a stream's clean end).
 */
package dev.quiesce.tck;
