package dev.quiesce.shutdown;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A registered hook as {@link HookRunner} runs it: a class rather than a lambda per call site, so that
 * nothing is linked after the trigger. {@code kind} says which interface {@code hook} is used as: a
 * {@link Shutdown.PersistHook}, an {@link AutoCloseable}, or else a {@link Shutdown.Hook} or an
 * {@link Ingress} (its {@link Ingress#stopAccepting()}). It is a {@link Shutdown.Hook} itself, so that an
 * ingress is registered as a stop-accepting listener.
 */
final class HookCall implements Callable<Object>, Shutdown.Hook {
    private final Phase kind;
    private final Object hook;
    private final Duration budget;

    HookCall(Phase kind, Object hook, Duration budget) {
        this.kind = kind;
        this.hook = hook;
        this.budget = budget;
    }

    @Override
    public Object call() throws Exception {
        switch (kind) {
            case PERSIST -> ((Shutdown.PersistHook) hook).persist(budget);
            case CLEANUP -> ((AutoCloseable) hook).close();
            default -> {
                if (hook instanceof Ingress i) {
                    i.stopAccepting();
                } else {
                    ((Shutdown.Hook) hook).run();
                }
            }
        }
        return null;
    }

    @Override
    public void run() throws Exception {
        call();
    }
}
