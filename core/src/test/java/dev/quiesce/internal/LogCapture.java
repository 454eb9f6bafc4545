package dev.quiesce.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J binding of core's tests: it records log events, at every level, while a capture is open, and
 * drops them otherwise (so the tests log nothing, as with the no-operation binding they had before).
 *
 * <pre>{@code
 * try (var logs = LogCapture.start()) {
 *     ... // the code under test
 *     assertThat(logs.withStackTrace()).isEmpty();
 * }
 * }</pre>
 *
 * Registered in {@code META-INF/services/org.slf4j.spi.SLF4JServiceProvider} of the test resources.
 * Thread-safe.
 */
public final class LogCapture implements AutoCloseable {
    private static final List<LogCapture> OPEN = new CopyOnWriteArrayList<>();

    /** One log event: its level, logger, thread, formatted message and throwable (or null). */
    public record Event(Level level, String logger, String thread, String message, Throwable throwable) {
        @Override
        public String toString() {
            return level + " [" + thread + "] " + logger + ": " + message
                    + (throwable == null ? "" : " with stack trace of " + throwable);
        }
    }

    private final List<Event> events = new CopyOnWriteArrayList<>();

    private LogCapture() {}

    /** Starts recording every log event of every thread until {@link #close()}. */
    public static LogCapture start() {
        var c = new LogCapture();
        OPEN.add(c);
        return c;
    }

    /** The events recorded so far, in order. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The events from loggers whose name starts with {@code prefix}. */
    public List<Event> from(String prefix) {
        return events.stream().filter(e -> e.logger().startsWith(prefix)).toList();
    }

    /** The events that carry a throwable (and so print a stack trace). */
    public List<Event> withStackTrace() {
        return events.stream().filter(e -> e.throwable() != null).toList();
    }

    /** The events at {@code level} or more severe. */
    public List<Event> atLeast(Level level) {
        return events.stream().filter(e -> e.level().toInt() >= level.toInt()).toList();
    }

    @Override
    public void close() {
        OPEN.remove(this);
    }

    /** The service provider SLF4J finds on the test class path. */
    public static final class Provider implements SLF4JServiceProvider {
        private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();
        private final ILoggerFactory factory = name -> loggers.computeIfAbsent(name, CapturingLogger::new);
        private final IMarkerFactory markers = new BasicMarkerFactory();
        private final MDCAdapter mdc = new ThreadLocalMdc();

        /** Called by SLF4J's service loader. */
        public Provider() {}

        @Override
        public ILoggerFactory getLoggerFactory() {
            return factory;
        }

        @Override
        public IMarkerFactory getMarkerFactory() {
            return markers;
        }

        @Override
        public MDCAdapter getMDCAdapter() {
            return mdc;
        }

        @Override
        public String getRequestedApiVersion() {
            return "2.0.99";
        }

        @Override
        public void initialize() {}
    }

    private static final class CapturingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        CapturingLogger(String name) {
            this.name = name;
        }

        private static boolean capturing() {
            return !OPEN.isEmpty();
        }

        @Override
        public boolean isTraceEnabled() {
            return capturing();
        }

        @Override
        public boolean isDebugEnabled() {
            return capturing();
        }

        @Override
        public boolean isInfoEnabled() {
            return capturing();
        }

        @Override
        public boolean isWarnEnabled() {
            return capturing();
        }

        @Override
        public boolean isErrorEnabled() {
            return capturing();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                Throwable throwable) {
            Object[] a = args == null ? new Object[0] : args;
            Throwable t = throwable;
            if (t == null) {
                t = MessageFormatter.getThrowableCandidate(a);
                if (t != null) {
                    a = MessageFormatter.trimmedCopy(a);
                }
            }
            var e = new Event(level, name, Thread.currentThread().getName(), MessageFormatter.basicArrayFormat(pattern, a), t);
            for (LogCapture c : new ArrayList<>(OPEN)) {
                c.events.add(e);
            }
        }
    }
}
