package dev.quiesce.spring;

import java.time.Duration;

/**
 * A bean that implements this has its overridden methods registered with the shutdown when it is initialized, named
 * after the bean: {@link #persist(Duration)} as a state hook of the persist phase, {@link #cleanup()} as a resource
 * of the cleanup phase (before the application context closes). A method left at its default is not registered.
 * The annotations {@link OnPersist} and {@link OnCleanup} do the same for any method.
 */
public interface QuiesceHooks {

    /**
     * Persists the bean's state within {@code budget}, after the drain.
     *
     * @param budget how long the hook may take
     * @throws Exception if it fails: reported, and the other hooks still run
     */
    default void persist(Duration budget) throws Exception {}

    /**
     * Releases the bean's resources, before the application context closes.
     *
     * @throws Exception if it fails: reported, and the other resources still close
     */
    default void cleanup() throws Exception {}
}
