package dev.quiesce.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.Objects;

/**
 * The one place that touches {@code sun.misc.Signal} (module {@code jdk.unsupported}), looked up with
 * method handles: javac flags every direct use as internal proprietary API with a warning nothing can
 * suppress (which {@code -Werror} turns into an error), and an application on the class path in a runtime
 * image without {@code jdk.unsupported} must still run, falling back to a JVM shutdown hook. (On the module
 * path, {@code dev.quiesce} requires {@code jdk.unsupported}, so it is always there.)
 */
public final class Signals {
    private Signals() {}

    /** What happened when a handler was asked for. */
    public enum Install {
        /** The handler is installed. */
        INSTALLED,
        /** The process ignores this signal (inherited from its parent); the JVM keeps ignoring it. */
        IGNORED_BY_PROCESS,
        /** The JVM or the OS reserves this signal (e.g. with {@code -Xrs}); no handler was installed. */
        REFUSED,
        /** {@code sun.misc.Signal} is not available in this runtime. */
        UNAVAILABLE
    }

    private static final class Api {
        static final Class<?> HANDLER;
        static final MethodHandle NEW_SIGNAL;
        static final MethodHandle HANDLE;
        static final MethodHandle RAISE;
        static final Object SIG_IGN;
        static final Throwable UNAVAILABLE;

        static {
            Class<?> handler = null;
            MethodHandle newSignal = null;
            MethodHandle handle = null;
            MethodHandle raise = null;
            Object ign = null;
            Throwable failure = null;
            try {
                Class<?> signal = Class.forName("sun.misc.Signal");
                handler = Class.forName("sun.misc.SignalHandler");
                var lookup = MethodHandles.publicLookup();
                newSignal = lookup.findConstructor(signal, MethodType.methodType(void.class, String.class));
                handle = lookup.findStatic(signal, "handle", MethodType.methodType(handler, signal, handler));
                raise = lookup.findStatic(signal, "raise", MethodType.methodType(void.class, signal));
                ign = lookup.findStaticGetter(handler, "SIG_IGN", handler).invoke();
            } catch (Throwable t) {
                failure = t;
            }
            HANDLER = handler;
            NEW_SIGNAL = newSignal;
            HANDLE = handle;
            RAISE = raise;
            SIG_IGN = ign;
            UNAVAILABLE = failure;
        }
    }

    /** Whether signals can be handled in this runtime. */
    public static boolean available() {
        return Api.UNAVAILABLE == null;
    }

    /** Why signals cannot be handled here ({@code "none"} when they can), for a log message. */
    public static String unavailableCause() {
        return Api.UNAVAILABLE == null ? "none" : String.valueOf(Api.UNAVAILABLE);
    }

    /**
     * Installs {@code onSignal} for the signal {@code name} (e.g. {@code "TERM"}). The callback runs on the
     * JVM's signal-dispatch thread and must only notify.
     */
    public static Install handle(String name, Runnable onSignal) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(onSignal, "onSignal");
        if (!available()) {
            return Install.UNAVAILABLE;
        }
        Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {Api.HANDLER},
                (proxy, method, args) -> switch (method.getName()) {
                    case "handle" -> {
                        onSignal.run();
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "QuiesceSignalHandler[SIG" + name + "]";
                    default -> throw new UnsupportedOperationException(method.toString());
                });
        try {
            Object signal = Api.NEW_SIGNAL.invoke(name);
            Object previous = Api.HANDLE.invoke(signal, handler);
            return previous == Api.SIG_IGN ? Install.IGNORED_BY_PROCESS : Install.INSTALLED;
        } catch (IllegalArgumentException e) {
            return Install.REFUSED;
        } catch (Throwable t) {
            throw new IllegalStateException("could not install a handler for SIG" + name, t);
        }
    }

    /** Raises the signal {@code name} in this process (as {@code kill -NAME <own pid>} would). */
    public static void raise(String name) {
        if (!available()) {
            throw new UnsupportedOperationException("sun.misc.Signal is not available in this runtime");
        }
        try {
            Api.RAISE.invoke(Api.NEW_SIGNAL.invoke(name));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("could not raise SIG" + name, t);
        }
    }
}
