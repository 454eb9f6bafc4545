package dev.quiesce.internal;

import dev.quiesce.ContextPropagator;
import java.util.Map;
import org.slf4j.MDC;

/** The built-in propagator of slf4j's MDC; see {@link ContextPropagator#mdc()}. Stateless, thread-safe. */
public final class MdcPropagator implements ContextPropagator {

    /** The one instance. */
    public static final MdcPropagator INSTANCE = new MdcPropagator();

    static {
        MDC.getMDCAdapter(); // binds the adapter now, when the engine loads, rather than on a first fork
    }

    private MdcPropagator() {}

    @Override
    public Object capture() {
        // the adapters return null for a thread that never used its MDC (or cleared it): no allocation then
        Map<String, String> copy = MDC.getCopyOfContextMap();
        return copy == null || copy.isEmpty() ? null : copy;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void restore(Object captured) {
        MDC.setContextMap((Map<String, String>) captured);
    }

    @Override
    public void clear(Object captured) {
        MDC.clear();
    }

    @Override
    public String name() {
        return "MDC";
    }

    @Override
    public String toString() {
        return "ContextPropagator.mdc()";
    }
}
