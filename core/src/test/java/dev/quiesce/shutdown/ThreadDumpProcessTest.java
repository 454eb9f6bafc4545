package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /** A strict JSON reader, enough to check a document parses: objects, arrays, strings, numbers, literals. */
    static final class JsonCheck {
        private final String text;
        private int pos;

        private JsonCheck(String text) {
            this.text = text;
        }

        static Object parse(String text) {
            var r = new JsonCheck(text);
            Object v = r.read();
            r.skipSpace();
            if (r.pos != text.length()) {
                throw r.error("trailing characters");
            }
            return v;
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

        private Object read() {
            skipSpace();
            if (pos >= text.length()) {
                throw error("unexpected end");
            }
            char c = text.charAt(pos);
            if (c == '{') {
                pos++;
                Map<String, Object> obj = new LinkedHashMap<>();
                skipSpace();
                if (take('}')) {
                    return obj;
                }
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    obj.put(key, read());
                    skipSpace();
                } while (take(','));
                expect('}');
                return obj;
            } else if (c == '[') {
                pos++;
                List<Object> arr = new ArrayList<>();
                skipSpace();
                if (take(']')) {
                    return arr;
                }
                do {
                    arr.add(read());
                    skipSpace();
                } while (take(','));
                expect(']');
                return arr;
            } else if (c == '"') {
                return string();
            } else if (text.startsWith("true", pos) || text.startsWith("false", pos) || text.startsWith("null", pos)) {
                String word = text.startsWith("true", pos) ? "true" : text.startsWith("false", pos) ? "false" : "null";
                pos += word.length();
                return word.equals("null") ? null : Boolean.valueOf(word);
            }
            int start = pos;
            while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
            if (start == pos) {
                throw error("unexpected character '" + c + "'");
            }
            String num = text.substring(start, pos);
            return num.matches("-?\\d+") ? (Number) Long.valueOf(num) : (Number) Double.valueOf(num);
        }

        private String string() {
            expect('"');
            var sb = new StringBuilder();
            for (;;) {
                if (pos >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(pos++);
                if (c == '"') {
                    return sb.toString();
                } else if (c == '\\') {
                    char e = text.charAt(pos++);
                    if (e == 'u') {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    } else {
                        int i = "\"\\/bfnrt".indexOf(e);
                        if (i < 0) {
                            throw error("bad escape \\" + e);
                        }
                        sb.append("\"\\/\b\f\n\r\t".charAt(i));
                    }
                } else if (c < 0x20) {
                    throw error("control character in a string");
                } else {
                    sb.append(c);
                }
            }
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private boolean take(char c) {
            if (pos < text.length() && text.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!take(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("not JSON at offset " + pos + ": " + what);
        }
    }
}
