package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The third SIGTERM: the JDK's JSON thread dump and the scope tree, with matching thread ids, then a halt. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThreadDumpProcessTest {
    private static final int THREADS = 2_000;
    private static final Pattern PATHS = Pattern.compile("thread dump \\(JSON\\) (\\S+) scope tree \\(JSON\\) (\\S+);");

    @Test
    void thirdSigterm_writesAJsonDumpOfEveryVirtualThread_holdingEveryThreadOfTheTree_andHalts(@TempDir Path dir)
            throws Exception {
        try (ChildJvm jvm = ChildJvm.start(List.of(), List.of("-Dquiesce.dump.dir=" + dir), ThreadDumpFixture.class,
                Integer.toString(THREADS))) {
            jvm.awaitPrefix("READY");
            jvm.signal("TERM");
            jvm.awaitPrefix("PHASE DRAIN");
            jvm.signal("TERM"); // escalates: the drain ends, the state hook blocks
            jvm.awaitPrefix("PERSISTING");
            jvm.signal("TERM");
            assertThat(jvm.waitFor()).as(jvm.stderr()).isEqualTo(ShutdownReport.HALTED_EXIT_CODE);

            Matcher m = PATHS.matcher(jvm.stderr());
            assertThat(m.find()).as("the paths on standard error: " + jvm.stderr()).isTrue();
            Path threadsFile = Path.of(m.group(1));
            Path treeFile = Path.of(m.group(2));
            assertThat(threadsFile.getParent()).isEqualTo(dir);

            Map<Long, Boolean> dumped = new LinkedHashMap<>(); // tid -> virtual
            Object dump = JsonCheck.parse(Files.readString(threadsFile));
            for (Object container : JsonCheck.list(JsonCheck.map(JsonCheck.map(dump).get("threadDump"))
                    .get("threadContainers"))) {
                for (Object t : JsonCheck.list(JsonCheck.map(container).get("threads"))) {
                    Map<String, Object> th = JsonCheck.map(t);
                    dumped.put(Long.parseLong(String.valueOf(th.get("tid"))), Boolean.TRUE.equals(th.get("virtual")));
                }
            }
            assertThat(dumped.values().stream().filter(v -> v).count()).isGreaterThanOrEqualTo(THREADS);

            Set<Long> treeIds = new HashSet<>();
            collectThreadIds(JsonCheck.parse(Files.readString(treeFile)), treeIds);
            assertThat(treeIds).hasSizeGreaterThanOrEqualTo(THREADS);
            assertThat(dumped.keySet()).containsAll(treeIds);
        }
    }

    /** The check itself: it reads what JSON allows and rejects the rest, so "the dump parses" means something. */
    @Test
    void jsonCheck_readsJson_andRejectsWhatIsNotJson() {
        assertThat(JsonCheck.parse(" {\"a\": [1, -2.5e3, \"x\\n\\u0041\", true, null, {}], \"b\": []} "))
                .isEqualTo(new LinkedHashMap<>(Map.of("a", java.util.Arrays.asList(1L, -2500.0, "x\nA", true, null,
                        Map.of()), "b", List.of())));
        for (String bad : new String[] {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "[1 2]", "{1:2}", "[}", "01",
            "\"tab\there\"", "[1] [2]", "nul"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> JsonCheck.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static void collectThreadIds(Object json, Set<Long> out) {
        if (json instanceof Map<?, ?> m) {
            if (m.get("threadId") instanceof Number n) {
                out.add(n.longValue());
            }
            m.values().forEach(v -> collectThreadIds(v, out));
        } else if (json instanceof List<?> l) {
            l.forEach(v -> collectThreadIds(v, out));
        }
    }

    /**
     * A strict JSON reader, enough to check that a document parses and to walk it: a regular expression cuts the
     * text into tokens, and a stack of open containers with one expected-next state checks the grammar.
     */
    static final class JsonCheck {
        private static final Pattern TOKEN = Pattern.compile("\\s*(?:([{}\\[\\]:,])"
                + "|(\"(?:[^\"\\\\\\x00-\\x1f]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{4})*\")"
                + "|(-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)|(true|false|null))\\s*");
        private static final Pattern ESCAPE = Pattern.compile("\\\\(u[0-9a-fA-F]{4}|.)");
        private static final int VALUE = 0;
        private static final int KEY = 1;
        private static final int KEY_OR_CLOSE = 2;
        private static final int VALUE_OR_CLOSE = 3;
        private static final int COLON = 4;
        private static final int COMMA_OR_CLOSE = 5;
        private static final int DONE = 6;

        private final Deque<Object> open = new ArrayDeque<>(); // the maps and lists being filled
        private final Deque<String> keys = new ArrayDeque<>(); // for each open map, the key awaiting its value
        private Object result;

        private JsonCheck() {}

        static Object parse(String text) {
            var r = new JsonCheck();
            int state = VALUE;
            Matcher m = TOKEN.matcher(text);
            int at = 0;
            while (at < text.length()) {
                if (!m.find(at) || m.start() != at) {
                    throw new IllegalArgumentException("not JSON at offset " + at);
                }
                at = m.end();
                state = r.step(m, state, at);
            }
            if (state != DONE) {
                throw new IllegalArgumentException("not JSON: the document ends early");
            }
            return r.result;
        }

        private int step(Matcher m, int state, int at) {
            String punct = m.group(1);
            if (punct == null) {
                Object scalar = m.group(2) != null ? unquote(m.group(2)) : m.group(3) != null ? number(m.group(3))
                        : m.group(4).equals("null") ? null : Boolean.valueOf(m.group(4));
                if (state == KEY || state == KEY_OR_CLOSE) {
                    check(m.group(2) != null, "a key must be a string", at);
                    keys.push((String) scalar);
                    return COLON;
                }
                check(state == VALUE || state == VALUE_OR_CLOSE, "a value is not expected here", at);
                return add(scalar);
            }
            char c = punct.charAt(0);
            if (c == '{' || c == '[') {
                check(state == VALUE || state == VALUE_OR_CLOSE, "a value is not expected here", at);
                open.push(c == '{' ? new LinkedHashMap<String, Object>() : new ArrayList<Object>());
                return c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
            } else if (c == '}' || c == ']') {
                boolean isMap = open.peek() instanceof Map<?, ?>;
                check(!open.isEmpty() && isMap == (c == '}') && (state == COMMA_OR_CLOSE
                        || state == (isMap ? KEY_OR_CLOSE : VALUE_OR_CLOSE)), "'" + c + "' is not expected here", at);
                return add(open.pop());
            } else if (c == ':') {
                check(state == COLON, "':' is not expected here", at);
                return VALUE;
            }
            check(state == COMMA_OR_CLOSE, "',' is not expected here", at);
            return open.peek() instanceof Map<?, ?> ? KEY : VALUE;
        }

        @SuppressWarnings("unchecked")
        private int add(Object v) {
            Object into = open.peek();
            if (into == null) {
                result = v;
                return DONE;
            } else if (into instanceof Map<?, ?> map) {
                ((Map<String, Object>) map).put(keys.pop(), v);
            } else {
                ((List<Object>) into).add(v);
            }
            return COMMA_OR_CLOSE;
        }

        private static Number number(String n) {
            return n.matches("-?\\d+") ? (Number) Long.valueOf(n) : (Number) Double.valueOf(n);
        }

        private static String unquote(String quoted) {
            return ESCAPE.matcher(quoted.substring(1, quoted.length() - 1)).replaceAll(e -> {
                String x = e.group(1);
                char ch = x.length() > 1 ? (char) Integer.parseInt(x.substring(1), 16)
                        : "\"\\/\b\f\n\r\t".charAt("\"\\/bfnrt".indexOf(x.charAt(0)));
                return Matcher.quoteReplacement(String.valueOf(ch));
            });
        }

        private static void check(boolean ok, String what, int at) {
            if (!ok) {
                throw new IllegalArgumentException("not JSON near offset " + at + ": " + what);
            }
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> map(Object o) {
            assertThat(o).isInstanceOf(Map.class);
            return (Map<String, Object>) o;
        }

        static List<?> list(Object o) {
            assertThat(o).isInstanceOf(List.class);
            return (List<?>) o;
        }
    }
}
