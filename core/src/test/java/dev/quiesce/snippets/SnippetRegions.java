package dev.quiesce.snippets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the regions of snippet source files as javadoc's {@code {@snippet}} renders them, for the
 * README check: {@code // @start region="x"} ... {@code // @end} delimit a region (nested regions allowed;
 * a bare {@code @end} closes the innermost); {@code @replace substring=... replacement=...} (or
 * {@code regex=...}) rewrites its line; {@code @highlight} and {@code @link} only decorate, so they are
 * dropped. A markup comment is removed from its line, and a line that held only markup disappears; a
 * markup comment that ends with {@code :} applies to the next line. The common indentation is stripped.
 * Other markup is refused, so that this reader never silently disagrees with javadoc.
 */
final class SnippetRegions {
    private SnippetRegions() {}

    /** A region: where it starts (1-based line of its {@code @start}), its name, its rendered text. */
    record Region(Path file, int line, String name, String text) {
        String where() {
            return file + ":" + line + " (region \"" + name + "\")";
        }
    }

    private static final Pattern MARKUP = Pattern.compile("^(?<code>.*?)//\\s*(?<markup>@\\w+.*)$");
    private static final Pattern TAG = Pattern.compile("@(?<name>\\w+)(?<attrs>(?:\\s+\\w+(?:\\s*=\\s*(?:\"[^\"]*\"|'[^']*'|[^\\s\"'@]+))?)*)\\s*");
    private static final Pattern ATTR = Pattern.compile("(?<key>\\w+)(?:\\s*=\\s*(?:\"(?<dq>[^\"]*)\"|'(?<sq>[^']*)'|(?<bare>[^\\s\"'@]+)))?");

    /**
     * Every region of the snippet sources under {@code root}: the files named {@code *Snippets.java} or
     * {@code *Examples.java} (other test files may hold markup-like text in strings, as this check's own
     * test does).
     */
    static List<Region> under(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            List<Region> out = new ArrayList<>();
            for (Path f : files.filter(SnippetRegions::isSnippetSource).sorted().toList()) {
                out.addAll(parse(f, Files.readAllLines(f, StandardCharsets.UTF_8)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isSnippetSource(Path p) {
        String name = p.getFileName().toString();
        return name.endsWith("Snippets.java") || name.endsWith("Examples.java");
    }

    static List<Region> parse(Path file, List<String> lines) {
        record Open(String name, int line, List<String> text) {}
        Deque<Open> open = new ArrayDeque<>();
        List<Region> done = new ArrayList<>();
        List<Map<String, String>> pending = new ArrayList<>(); // markup that applies to the next line
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher m = MARKUP.matcher(line);
            if (!m.matches()) {
                String rendered = applyAll(pending, line, file, i);
                pending.clear();
                for (Open o : open) {
                    o.text().add(rendered);
                }
                continue;
            }
            String code = m.group("code");
            String markup = m.group("markup").strip();
            boolean forNextLine = markup.endsWith(":");
            if (forNextLine) {
                markup = markup.substring(0, markup.length() - 1);
            }
            List<Map<String, String>> tags = tags(markup, file, i);
            List<Map<String, String>> lineTags = new ArrayList<>();
            for (Map<String, String> tag : tags) {
                switch (tag.get("@")) {
                    case "start" -> {
                        String name = tag.get("region");
                        if (name == null) {
                            throw new IllegalArgumentException(file + ":" + (i + 1) + ": @start needs region=NAME");
                        }
                        open.push(new Open(name, i + 1, new ArrayList<>()));
                    }
                    case "end" -> {
                        if (open.isEmpty()) {
                            throw new IllegalArgumentException(file + ":" + (i + 1) + ": @end without @start");
                        }
                        String name = tag.get("region");
                        int at = i + 1;
                        Open o = name == null ? open.peek()
                                : open.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow(
                                        () -> new IllegalArgumentException(file + ":" + at
                                                + ": @end region=" + name + " closes no open region"));
                        open.remove(o);
                        done.add(new Region(file, o.line(), o.name(), dedent(o.text())));
                    }
                    case "replace", "highlight", "link" -> lineTags.add(tag);
                    default -> throw new IllegalArgumentException(file + ":" + (i + 1) + ": markup @" + tag.get("@")
                            + " is not understood by the README check (SnippetRegions): use @start, @end, "
                            + "@replace, @highlight or @link, or teach SnippetRegions the new tag");
                }
            }
            if (forNextLine) {
                pending.addAll(lineTags);
                // the markup comment is removed; code before it stays, as javadoc keeps it
                if (!code.isBlank()) {
                    for (Open o : open) {
                        o.text().add(code.stripTrailing());
                    }
                }
                continue;
            }
            if (code.isBlank()) {
                continue; // a line that held only markup is not part of the rendered snippet
            }
            lineTags.addAll(0, pending);
            pending.clear();
            String rendered = applyAll(lineTags, code.stripTrailing(), file, i);
            for (Open o : open) {
                o.text().add(rendered);
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + open.peek().line() + ": region \"" + open.peek().name()
                    + "\" has no @end");
        }
        return done;
    }

    private static String applyAll(List<Map<String, String>> tags, String line, Path file, int i) {
        String out = line;
        for (Map<String, String> tag : tags) {
            if (!tag.get("@").equals("replace")) {
                continue;
            }
            String replacement = tag.get("replacement");
            if (replacement == null) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": @replace needs replacement=...");
            }
            if (tag.containsKey("substring")) {
                out = out.replace(tag.get("substring"), replacement);
            } else if (tag.containsKey("regex")) {
                out = Pattern.compile(tag.get("regex")).matcher(out).replaceAll(Matcher.quoteReplacement(replacement));
            } else {
                out = replacement; // @replace without a pattern replaces the whole line
            }
        }
        return out.stripTrailing();
    }

    private static List<Map<String, String>> tags(String markup, Path file, int i) {
        List<Map<String, String>> out = new ArrayList<>();
        Matcher t = TAG.matcher(markup);
        int at = 0;
        while (at < markup.length()) {
            if (!t.find(at) || t.start() != at) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": cannot read the markup \"" + markup + "\"");
            }
            Map<String, String> tag = new LinkedHashMap<>();
            tag.put("@", t.group("name"));
            Matcher a = ATTR.matcher(t.group("attrs"));
            while (a.find()) {
                String v = a.group("dq") != null ? a.group("dq") : a.group("sq") != null ? a.group("sq") : a.group("bare");
                tag.put(a.group("key"), v == null ? "" : v);
            }
            out.add(tag);
            at = t.end();
        }
        return out;
    }

    /** Strips the common leading white space of the non-blank lines and trailing blank lines. */
    static String dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            out.add(l.isBlank() ? "" : l.substring(indent).stripTrailing());
        }
        while (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        while (!out.isEmpty() && out.getFirst().isEmpty()) {
            out.removeFirst();
        }
        return String.join("\n", out);
    }
}
