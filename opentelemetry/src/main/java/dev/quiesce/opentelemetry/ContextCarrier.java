package dev.quiesce.opentelemetry;

import dev.quiesce.ContextPropagator;
import dev.quiesce.Scope;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

/**
 * One fork's OpenTelemetry {@link Context}, from the forking thread to the subtask's, with what was made current
 * there (and, with subtask spans, the subtask's span). {@link Propagator} is the {@link ContextPropagator}.
 */
final class ContextCarrier {
    static final ContextPropagator PROPAGATOR = new Propagator(null);

    private final Context context;
    // the subtask's thread only: set by restore, ended by clear
    private io.opentelemetry.context.Scope scope;
    private Span span;

    private ContextCarrier(Context context) {
        this.context = context;
    }

    /**
     * Carries the context; with a tracer, also starts a span {@value QuiesceOpenTelemetry#SUBTASK_SPAN} per subtask,
     * a child of the carried context's span, current while the task runs. Stateless apart from the tracer.
     */
    static final class Propagator implements ContextPropagator {
        private final Tracer tracer; // null: no spans

        Propagator(Tracer tracer) {
            this.tracer = tracer;
        }

        @Override
        public Object capture() {
            Context current = Context.current();
            return tracer == null && current == Context.root() ? null : new ContextCarrier(current);
        }

        @Override
        public void restore(Object captured) {
            ContextCarrier c = (ContextCarrier) captured;
            Context context = c.context;
            if (tracer != null) {
                c.span = tracer.spanBuilder(QuiesceOpenTelemetry.SUBTASK_SPAN).setParent(context)
                        .setAttribute("quiesce.scope", Scope.current().path())
                        .setAttribute("thread.name", Thread.currentThread().getName()).startSpan();
                context = context.with(c.span);
            }
            c.scope = context.makeCurrent();
        }

        @Override
        public void clear(Object captured) {
            ContextCarrier c = (ContextCarrier) captured;
            io.opentelemetry.context.Scope s = c.scope;
            c.scope = null;
            if (s != null) {
                s.close(); // back to the subtask thread's context before the restore: the root
            }
            Span span = c.span;
            c.span = null;
            if (span != null) {
                span.end();
            }
        }

        @Override
        public String name() {
            return tracer == null ? "OpenTelemetry Context" : "OpenTelemetry Context and subtask spans";
        }

        @Override
        public String toString() {
            return tracer == null ? "QuiesceOpenTelemetry.contextPropagator()" : "QuiesceOpenTelemetry.subtaskSpans("
                    + tracer + ")";
        }
    }
}
