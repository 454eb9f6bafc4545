package dev.quiesce.check;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A value of a parsed manifest with its path ({@code spec.template.spec.containers[0].name}), read with typed
 * accessors that fail with a {@link InvalidManifestException} naming the path and what it must be. A missing
 * key is a node whose value is {@code null}: {@link #present()} tells. Immutable.
 */
final class Node {
    private final String path;
    private final Object value;

    Node(String path, Object value) {
        this.path = path;
        this.value = value;
    }

    String path() {
        return path;
    }

    boolean present() {
        return value != null;
    }

    boolean isMap() {
        return value instanceof Map;
    }

    /** The child {@code key} of a map (absent when this node is absent); fails when this node is not a map. */
    Node get(String key) {
        String childPath = path.isEmpty() ? key : path + "." + key;
        if (value == null) {
            return new Node(childPath, null);
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw invalid("must be a mapping (key: value)");
        }
        return new Node(childPath, map.get(key));
    }

    /** The elements of a list; an absent node is an empty list. */
    List<Node> list() {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw invalid("must be a list");
        }
        List<Node> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(new Node(path + "[" + i + "]", l.get(i)));
        }
        return out;
    }

    /** A string; a number or boolean is given as YAML wrote it (Kubernetes would refuse some of them, not us). */
    Optional<String> text() {
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
            return Optional.of(value.toString());
        }
        throw invalid("must be a single value, not " + (value instanceof Map ? "a mapping" : "a list"));
    }

    /** A whole number. */
    Optional<Long> integer() {
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Integer || value instanceof Long) {
            return Optional.of(((Number) value).longValue());
        }
        if (value instanceof BigInteger b) {
            throw invalid("is too large (" + b + ")");
        }
        throw invalid("must be a whole number, was " + describe(value));
    }

    InvalidManifestException invalid(String what) {
        return new InvalidManifestException(path + " " + what);
    }

    private static String describe(Object v) {
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List) {
            return "a list";
        }
        return v.toString();
    }

    /** A manifest that Kubernetes would not accept in a way that stops the check: exit code 2. */
    static final class InvalidManifestException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidManifestException(String message) {
            super(message, null, false, false);
        }
    }
}
