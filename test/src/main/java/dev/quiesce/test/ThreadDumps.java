package dev.quiesce.test;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every live thread, virtual ones included: {@code Thread.getAllStackTraces()} lists platform threads only,
 * and the one view of virtual threads is the JDK's thread dump ({@code HotSpotDiagnosticMXBean.dumpThreads},
 * JSON), which lists the threads of every thread container, the root container's virtual threads too (the
 * JDK tracks them unless {@code -Djdk.trackAllThreads=false}). Not thread-safe; used by one test thread.
 */
final class ThreadDumps {
    private ThreadDumps() {}

    /**
     * A live thread.
     *
     * @param tid its thread id
     * @param name its name
     * @param virtual whether it is a virtual thread
     * @param stack its stack, innermost frame first
     */
    record DumpedThread(long tid, String name, boolean virtual, List<String> stack) {}

    /** Every live thread, by thread id. */
    static Map<Long, DumpedThread> all() {
        Set<Long> platform = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            platform.add(t.threadId());
        }
        Map<Long, DumpedThread> out = new LinkedHashMap<>();
        Object root = MiniJson.parse(dumpJson());
        for (Object container : list(map(map(root).get("threadDump")).get("threadContainers"))) {
            for (Object t : list(map(container).get("threads"))) {
                Map<String, Object> th = map(t);
                long tid = Long.parseLong(String.valueOf(th.get("tid")));
                List<String> stack = new ArrayList<>();
                for (Object f : list(th.get("stack"))) {
                    stack.add(String.valueOf(f));
                }
                // JDK 25 marks virtual threads; JDK 21 does not, but every thread it lists that
                // getAllStackTraces() does not is virtual
                boolean virtual = Boolean.TRUE.equals(th.get("virtual")) || !platform.contains(tid);
                out.put(tid, new DumpedThread(tid, String.valueOf(th.get("name")), virtual, List.copyOf(stack)));
            }
        }
        return out;
    }

    private static String dumpJson() {
        try {
            Path dir = Files.createTempDirectory("quiesce-leak-check");
            Path file = dir.resolve("threads.json");
            try {
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                        .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                return Files.readString(file);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the leak check could not take a thread dump in the temporary "
                    + "directory (java.io.tmpdir=" + System.getProperty("java.io.tmpdir") + "): " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    /** Just enough JSON for a thread dump: objects, arrays, strings, numbers, booleans, null. */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Object parse(String s) {
            var p = new MiniJson(s);
            Object v = p.value();
            p.ws();
            if (p.i != s.length()) {
                throw p.error("trailing characters");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) {
                        return m;
                    }
                    do {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) {
                        return l;
                    }
                    do {
                        l.add(value());
                        ws();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"':
                    return string();
                default:
                    int start = i;
                    while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) {
                        i++;
                    }
                    String word = s.substring(start, i);
                    return switch (word) {
                        case "true" -> Boolean.TRUE;
                        case "false" -> Boolean.FALSE;
                        case "null" -> null;
                        default -> word; // a number, kept as its text
                    };
            }
        }

        private String string() {
            expect('"');
            var sb = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
            throw error("unterminated string");
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalStateException error(String what) {
            return new IllegalStateException("the JDK's thread dump is not the JSON the leak check reads (" + what
                    + " at offset " + i + "); please report it with your JDK version ("
                    + Runtime.version() + ")");
        }
    }
}
