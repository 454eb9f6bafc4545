/**
 * grpc-java as a Quiesce {@link dev.quiesce.shutdown.Ingress}: {@link dev.quiesce.grpc.QuiesceGrpc} builds (or
 * attaches to) a grpc-java server that drains with a {@link dev.quiesce.shutdown.Shutdown}.
 */
package dev.quiesce.grpc;
