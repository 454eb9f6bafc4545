/**
 * Numbered, runnable samples, one pattern each, and {@link dev.quiesce.samples.Demo}, the program the
 * README's "run the demo" command starts.
 */
package dev.quiesce.samples;
