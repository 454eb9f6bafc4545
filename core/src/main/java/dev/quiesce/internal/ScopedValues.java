package dev.quiesce.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Callable;

/**
 * Re-binds named {@code java.lang.ScopedValue}s around a subtask's task ({@code ScopeConfig.withScopedValues}).
 * Core is compiled with {@code --release 21}, where {@code ScopedValue} is a preview API and cannot be named,
 * so the API is reached through method handles looked up once, and only on a runtime of Java 25 or later
 * (where it is final); on an earlier runtime {@link #checkKeys} refuses the configuration. This is the same
 * route as {@link Signals}' for {@code sun.misc.Signal}, and it keeps one class for every runtime, on the class
 * path and the module path alike (a multi-release jar would not apply to the exploded classes tests run on).
 */
public final class ScopedValues {
    private ScopedValues() {}

    private static final Object[] NO_KEYS = {};
    /** The ScopedValue API's handles, or {@code null} before Java 25. */
    private static final Handles API = Runtime.version().feature() >= 25 ? new Handles() : null;

    /** The method handles of {@code java.lang.ScopedValue} and its {@code Carrier}, adapted to {@code Object}. */
    private static final class Handles {
        final Class<?> type;
        final MethodHandle where; // static Carrier where(ScopedValue, Object)
        final MethodHandle carrierWhere; // Carrier Carrier.where(ScopedValue, Object)
        final MethodHandle run; // void Carrier.run(Runnable)
        final MethodHandle isBound; // boolean ScopedValue.isBound()
        final MethodHandle get; // Object ScopedValue.get()

        Handles() {
            try {
                type = Class.forName("java.lang.ScopedValue");
                Class<?> carrier = Class.forName("java.lang.ScopedValue$Carrier");
                var lookup = MethodHandles.publicLookup();
                MethodType bind = MethodType.methodType(carrier, type, Object.class);
                where = lookup.findStatic(type, "where", bind).asType(MethodType.genericMethodType(2));
                carrierWhere = lookup.findVirtual(carrier, "where", bind).asType(MethodType.genericMethodType(3));
                run = lookup.findVirtual(carrier, "run", MethodType.methodType(void.class, Runnable.class))
                        .asType(MethodType.methodType(void.class, Object.class, Runnable.class));
                isBound = lookup.findVirtual(type, "isBound", MethodType.methodType(boolean.class))
                        .asType(MethodType.methodType(boolean.class, Object.class));
                get = lookup.findVirtual(type, "get", MethodType.methodType(Object.class))
                        .asType(MethodType.genericMethodType(1));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Checks the keys passed to {@code withScopedValues}: every one a ScopedValue, on Java 25 or later. */
    public static Object[] checkKeys(Object[] keys) {
        if (keys == null) {
            throw new NullPointerException("scoped value keys must not be null; pass one or more ScopedValue instances");
        }
        if (API == null) {
            throw new UnsupportedOperationException("withScopedValues needs Java 25 or later, where ScopedValue is a "
                    + "final API; this JVM is Java " + Runtime.version().feature() + ": run on Java 25+, or remove "
                    + "withScopedValues and pass the values to the tasks explicitly");
        }
        for (Object k : keys) {
            if (k == null) {
                throw new NullPointerException("a scoped value key is null; pass the ScopedValue instances to re-bind");
            }
            if (!API.type.isInstance(k)) {
                throw new IllegalArgumentException("withScopedValues takes java.lang.ScopedValue instances, got a "
                        + k.getClass().getName() + ": pass the ScopedValue keys (e.g. ScopedValue.newInstance())");
            }
        }
        return keys.length == 0 ? NO_KEYS : keys.clone();
    }

    /**
     * The bindings of {@code keys} on the current thread, as key, value pairs, or {@code null} if none is bound.
     */
    static Object[] capture(Object[] keys) {
        Object[] out = null;
        int n = 0;
        try {
            for (Object k : keys) {
                if ((boolean) API.isBound.invokeExact(k)) {
                    if (out == null) {
                        out = new Object[keys.length * 2];
                    }
                    out[n++] = k;
                    out[n++] = (Object) API.get.invokeExact(k);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("reading a ScopedValue failed", t);
        }
        return out;
    }

    /** Runs {@code task} with {@code bound} (from {@link #capture}) bound on the current thread. */
    static <V> V call(Object[] bound, Callable<V> task) throws Exception {
        var body = new Body<V>(task);
        try {
            Object carrier = null;
            for (int i = 0; i < bound.length && bound[i] != null; i += 2) {
                carrier = carrier == null
                        ? (Object) API.where.invokeExact(bound[i], bound[i + 1])
                        : (Object) API.carrierWhere.invokeExact(carrier, bound[i], bound[i + 1]);
            }
            API.run.invokeExact(carrier, (Runnable) body);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("binding ScopedValues failed", t);
        }
        return body.outcome();
    }

    /** The task, as the Runnable a carrier runs: keeps its result or exception for {@link #call}. */
    private static final class Body<V> implements Runnable {
        private final Callable<V> task;
        private V result;
        private Exception failure;

        Body(Callable<V> task) {
            this.task = task;
        }

        @Override
        public void run() {
            try {
                result = task.call();
            } catch (Exception e) {
                failure = e;
            }
        }

        V outcome() throws Exception {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }
}
