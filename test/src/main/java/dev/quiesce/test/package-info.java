/**
 * The test kit. Entry points: {@link dev.quiesce.test.VirtualClock#install()} to run Quiesce's time by hand,
 * {@link dev.quiesce.test.ShutdownRehearsal#start} to send a service's real shutdown a TERM, HUP or second TERM
 * inside a test, and {@link dev.quiesce.test.QuiesceLeakCheck} to fail a test that leaks scopes, threads or
 * in-flight tickets.
 */
package dev.quiesce.test;
