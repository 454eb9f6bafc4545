/**
 * Jetty 12 as a Quiesce {@link dev.quiesce.shutdown.Ingress}: {@link dev.quiesce.jetty.QuiesceJetty} builds a
 * Jetty {@code Server} that drains with the shutdown, or attaches to one the application built.
 */
package dev.quiesce.jetty;
