package dev.quiesce.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.spi.MDCAdapter;

/**
 * The MDC of core's tests ({@link LogCapture}'s binding): a plain {@code ThreadLocal} map, as logback's
 * adapter keeps it, so that a new thread starts with an empty MDC (slf4j's {@code BasicMDCAdapter} uses an
 * {@code InheritableThreadLocal}, which would hide whether the engine propagates it). Thread-safe.
 */
final class ThreadLocalMdc implements MDCAdapter {
    private final ThreadLocal<Map<String, String>> map = new ThreadLocal<>();
    private final ThreadLocal<Map<String, Deque<String>>> stacks = ThreadLocal.withInitial(HashMap::new);

    @Override
    public void put(String key, String val) {
        Map<String, String> m = map.get();
        if (m == null) {
            m = new HashMap<>();
            map.set(m);
        }
        m.put(key, val);
    }

    @Override
    public String get(String key) {
        Map<String, String> m = map.get();
        return m == null ? null : m.get(key);
    }

    @Override
    public void remove(String key) {
        Map<String, String> m = map.get();
        if (m != null) {
            m.remove(key);
        }
    }

    @Override
    public void clear() {
        map.remove();
    }

    @Override
    public Map<String, String> getCopyOfContextMap() {
        Map<String, String> m = map.get();
        return m == null ? null : new HashMap<>(m);
    }

    @Override
    public void setContextMap(Map<String, String> contextMap) {
        map.set(new HashMap<>(contextMap));
    }

    @Override
    public void pushByKey(String key, String value) {
        stacks.get().computeIfAbsent(key, k -> new ArrayDeque<>()).push(value);
    }

    @Override
    public String popByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        return d == null ? null : d.poll();
    }

    @Override
    public Deque<String> getCopyOfDequeByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        return d == null ? null : new ArrayDeque<>(d);
    }

    @Override
    public void clearDequeByKey(String key) {
        Deque<String> d = stacks.get().get(key);
        if (d != null) {
            d.clear();
        }
    }
}
