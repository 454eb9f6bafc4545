package dev.quiesce.opentelemetry;

import dev.quiesce.ContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * One fork's OpenTelemetry {@link Context}, from the forking thread to the subtask's, and the scope that made it
 * current there ({@link #PROPAGATOR} is the {@link ContextPropagator}). One per fork that has a context to carry.
 */
final class ContextCarrier {
    static final ContextPropagator PROPAGATOR = new Propagator();

    private final Context context;
    private Scope scope; // the subtask's thread only: set by restore, closed by clear

    private ContextCarrier(Context context) {
        this.context = context;
    }

    /** The propagator; stateless, so one instance serves every scope. */
    private static final class Propagator implements ContextPropagator {
        @Override
        public Object capture() {
            Context current = Context.current();
            return current == Context.root() ? null : new ContextCarrier(current);
        }

        @Override
        public void restore(Object captured) {
            ContextCarrier c = (ContextCarrier) captured;
            c.scope = c.context.makeCurrent();
        }

        @Override
        public void clear(Object captured) {
            ContextCarrier c = (ContextCarrier) captured;
            Scope s = c.scope;
            c.scope = null;
            if (s != null) {
                s.close(); // back to the subtask thread's context before the restore: the root
            }
        }

        @Override
        public String name() {
            return "OpenTelemetry Context";
        }

        @Override
        public String toString() {
            return "QuiesceOpenTelemetry.contextPropagator()";
        }
    }
}
