package dev.quiesce.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every {@code ```java} block of README.md is, modulo indentation, a region of a snippet source in
 * core/src/test/java, or in the test kit's tests for its section ({@code *Snippets.java}, {@code *Examples.java}; rendered as javadoc's {@code {@snippet}} would: see {@link SnippetRegions}), and
 * every {@code readme-*} region is in the README. The regions are compiled with the tests and run by
 * {@link SnippetsTest}, so a README example that does not compile or does not work fails the build.
 */
class ReadmeExamplesTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Path SOURCES = Path.of("src", "test", "java");
    /**
     * The README examples compiled and run in other modules' tests: the Jetty adapter's, the test kit's ("Testing
     * your shutdown"), the opentelemetry module's ("Telemetry"), the spring-boot module's ("Spring Boot") and the
     * gRPC adapter's ("gRPC").
     */
    private static final List<Path> OTHER_MODULES_SOURCES = List.of(Path.of("..", "jetty", "src", "test", "java"),
            Path.of("..", "test", "src", "test", "java"), Path.of("..", "opentelemetry", "src", "test", "java"),
            Path.of("..", "spring-boot", "src", "test", "java"), Path.of("..", "grpc", "src", "test", "java"));

    /** A fenced block: the line of its opening fence (1-based) and its text. */
    record Block(int line, String text) {
        String firstLine() {
            return text.lines().findFirst().orElse("");
        }
    }

    @Test
    void everyJavaBlockOfTheReadme_isARegionOfATestedSourceFile() throws Exception {
        List<Block> blocks = javaBlocks(Files.readAllLines(README, StandardCharsets.UTF_8));
        assertThat(blocks).as("```java blocks in README.md").isNotEmpty();
        List<SnippetRegions.Region> regions = new ArrayList<>(SnippetRegions.under(SOURCES));
        for (Path adapter : OTHER_MODULES_SOURCES) {
            regions.addAll(SnippetRegions.under(adapter));
        }

        List<String> problems = new ArrayList<>();
        for (Block b : blocks) {
            if (regions.stream().noneMatch(r -> r.text().equals(b.text()))) {
                problems.add(unmatched(b, regions));
            }
        }
        for (SnippetRegions.Region r : regions) {
            if (r.name().startsWith("readme-") && blocks.stream().noneMatch(b -> b.text().equals(r.text()))) {
                problems.add("region " + r.where() + " is meant for the README (its name starts with readme-) but "
                        + "no ```java block of README.md is that region: copy it into the README, or rename or "
                        + "remove it");
            }
        }
        assertThat(problems).as("README examples").isEmpty();
    }

    /** The modules' READMEs that show the project README's examples: the same regions, so they are tested too. */
    @Test
    void theJavaBlocksOfTheJettyAndTestKitReadmes_areRegionsOfTestedSourceFiles() throws Exception {
        List<SnippetRegions.Region> regions = new ArrayList<>(SnippetRegions.under(SOURCES));
        for (Path other : OTHER_MODULES_SOURCES) {
            regions.addAll(SnippetRegions.under(other));
        }
        List<String> problems = new ArrayList<>();
        for (Path doc : List.of(Path.of("..", "jetty", "README.md"), Path.of("..", "test", "README.md"))) {
            List<Block> blocks = javaBlocks(Files.readAllLines(doc, StandardCharsets.UTF_8));
            assertThat(blocks).as("```java blocks in " + doc).isNotEmpty();
            for (Block b : blocks) {
                if (regions.stream().noneMatch(r -> r.text().equals(b.text()))) {
                    problems.add(doc.normalize() + ":" + b.line() + ": the ```java block that starts with \""
                            + b.firstLine() + "\" is no tested region: copy the project README's example (a region "
                            + "of " + OTHER_MODULES_SOURCES + ") here");
                }
            }
        }
        assertThat(problems).as("module README examples").isEmpty();
    }

    @Test
    void theRegionReader_rendersMarkupAsJavadocDoes() {
        List<String> source = List.of(
                "class X {",
                "    void m(int port) {",
                "        // @start region=\"outer\"",
                "        a();",
                "        // @start region='inner'",
                "        b(port); // @replace substring=\"port\" replacement=\"8080\"",
                "        // @highlight substring=\"c\":",
                "        c(); // a plain comment stays",
                "        // @end",
                "        // @end region=outer",
                "    }",
                "}");
        var regions = SnippetRegions.parse(Path.of("X.java"), source);
        assertThat(regions).extracting(SnippetRegions.Region::name).containsExactly("inner", "outer");
        assertThat(regions.get(0).text()).isEqualTo("b(8080);\nc(); // a plain comment stays");
        assertThat(regions.get(1).text()).isEqualTo("a();\nb(8080);\nc(); // a plain comment stays");
    }

    static List<Block> javaBlocks(List<String> lines) {
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```java")) {
                continue;
            }
            int start = i;
            List<String> body = new ArrayList<>();
            for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                body.add(lines.get(i));
            }
            out.add(new Block(start + 1, SnippetRegions.dedent(body)));
        }
        return out;
    }

    private static String unmatched(Block b, List<SnippetRegions.Region> regions) {
        StringBuilder sb = new StringBuilder("README.md:" + b.line() + ": the ```java block that starts with \""
                + b.firstLine() + "\" is no region of the snippet sources (*Snippets.java, *Examples.java) in "
                + SOURCES.toAbsolutePath().normalize() + " (or in " + OTHER_MODULES_SOURCES + ")"
                + ". Every Java example of the README must be a region that the tests compile and run: change the "
                + "region in core/src/test/java/dev/quiesce/snippets/ReadmeExamples.java (or add one, "
                + "// @start region=\"readme-...\" ... // @end, with a test in SnippetsTest) and copy its text into "
                + "the README.");
        regions.stream().max(Comparator.comparingInt(r -> sharedLines(r.text(), b.text()))).ifPresent(r -> {
            List<String> rl = r.text().lines().toList();
            List<String> bl = b.text().lines().toList();
            int n = commonPrefixLines(r.text(), b.text());
            sb.append(" Closest: ").append(r.where()).append(", which differs at line ").append(n + 1)
                    .append(" of the block: README has \"").append(n < bl.size() ? bl.get(n) : "(end)")
                    .append("\", the region has \"").append(n < rl.size() ? rl.get(n) : "(end)").append("\".");
        });
        return sb.toString();
    }

    /** How many lines of {@code b} are also lines of {@code a}: picks the region a block was copied from. */
    private static int sharedLines(String a, String b) {
        var al = java.util.Set.copyOf(a.lines().toList());
        return (int) b.lines().filter(al::contains).count();
    }

    private static int commonPrefixLines(String a, String b) {
        List<String> al = a.lines().toList();
        List<String> bl = b.lines().toList();
        int n = 0;
        while (n < al.size() && n < bl.size() && al.get(n).equals(bl.get(n))) {
            n++;
        }
        return n;
    }
}
