/**
 * The JMH suite of Quiesce: every benchmark here measures a Quiesce operation and the plain JDK
 * primitives it competes with, in the same run and the same harness.
 *
 * <ul>
 *   <li>{@link dev.quiesce.benchmarks.CancelToJoin}: latency from a cancellation to every task thread
 *       having terminated, with N tasks blocked (park, sleep, socket read, CPU loop), flat and as a tree;
 *       the headline benchmark.
 *   <li>{@link dev.quiesce.benchmarks.ForkCost}: time until N forked tasks have all started.
 *   <li>{@link dev.quiesce.benchmarks.Paired}: the paired mode, the headline (a plain {@code main}): every implementation
 *       of a cancel-to-join or fork-cost cell in one JVM, in interleaved blocks, reported as the median and
 *       interquartile range of the per-block ratio to the floor, with issue 16's verdicts.
 *   <li>{@link dev.quiesce.benchmarks.Footprint}: retained heap per idle task (a plain {@code main}, not
 *       JMH: JMH measures time, not retained size).
 *   <li>{@link dev.quiesce.benchmarks.ShutdownEndToEnd}: SIGTERM to process exit of the demo service, idle and
 *       with 1 000 requests in flight, measured from outside against JVMs without Quiesce (a plain {@code main}
 *       that drives child processes).
 *   <li>{@link dev.quiesce.benchmarks.JettyOverheadServer}: the server of {@code benchmarks/jetty-overhead.sh}, which
 *       measures quiesce-jetty's request-path cost against plain Jetty under {@code wrk} (a plain {@code main}).
 * </ul>
 *
 * Run everything and write the results (JSON, a markdown table, a chart) with {@code benchmarks/run.sh};
 * see {@code docs/benchmarks/README.md}.
 */
package dev.quiesce.benchmarks;
