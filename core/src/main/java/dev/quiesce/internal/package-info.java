/**
 * Implementation of the scope engine: tree bookkeeping, the timer thread, JFR events. Not exported;
 * nothing here is API.
 */
package dev.quiesce.internal;
