package dev.quiesce.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fails a test that leaves behind, once it has returned:
 * <ul>
 *   <li>an open scope (a root scope opened during the test and not closed);
 *   <li>a running subtask thread (of an open scope, or a straggler its closed scope abandoned);
 *   <li>a virtual thread started during the test that is still alive;
 *   <li>an {@code InFlightTracker} ticket entered during the test and never closed.
 * </ul>
 * The failure lists each leak with its scope path where it has one, and a stack trace: the thread's current
 * stack, or the stack that entered the ticket.
 *
 * {@snippet class=dev.quiesce.test.LeakCheckSnippets region=leak-check}
 *
 * <p>Threads the test means to leave running (a server's acceptor, a pool shared by the class) are named in
 * {@link #allowThreads()}. Platform threads that are not subtask threads are never reported: the JDK and
 * libraries start them lazily (the virtual-thread scheduler's carriers, Quiesce's timer).
 *
 * <p>A thread that is just ending when the test returns is not a leak: the check looks again for up to
 * {@link #settleMillis()} before it fails the test. It compares with what existed when the test started, so a
 * leak of an earlier test is not reported again. Tests that run in parallel in one JVM see each other's threads:
 * use it on tests that run one at a time.
 *
 * <p>Put it on a test class (every test is checked) or on one test method.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(LeakCheckExtension.class)
public @interface QuiesceLeakCheck {
    /**
     * Name prefixes of threads the test means to leave running: a thread whose name starts with one of them is
     * not reported. Empty by default.
     *
     * @return the prefixes
     */
    String[] allowThreads() default {};

    /**
     * How long, in real milliseconds, the check waits for leaks to go away (threads that are just ending) before
     * it fails the test. Default 1000.
     *
     * @return the time to settle, in milliseconds
     */
    long settleMillis() default 1000;
}
