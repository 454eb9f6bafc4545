package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The BOM (bom/pom.xml) lists every published module of the reactor, so a new module cannot be released
 * without it: each module in the parent's {@code <modules>} is either listed in the BOM's
 * dependencyManagement at {@code ${project.version}} or marked {@code <quiesce.published>false} (and then
 * skips deploy, sources and Javadoc). Reads the pom files, not the Maven model: the rules are about what
 * the files say.
 */
class BomTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String BOM_MODULE = "bom";

    @Test
    void theBom_listsEveryPublishedModule_andNothingElse() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml"));
        String groupId = text(parent, "groupId");
        Element bom = read(ROOT.resolve(BOM_MODULE).resolve("pom.xml"));

        Map<String, String> listed = new LinkedHashMap<>(); // artifactId -> version, as written
        for (Element dep : descendants(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            assertThat(text(dep, "groupId")).as("groupId of a BOM entry").isEqualTo(groupId);
            listed.put(text(dep, "artifactId"), text(dep, "version"));
        }

        List<String> published = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Element m : descendants(child(parent, "modules"), "module")) {
            String dir = m.getTextContent().trim();
            if (dir.equals(BOM_MODULE)) {
                continue;
            }
            Element pom = read(ROOT.resolve(dir).resolve("pom.xml"));
            String artifactId = text(pom, "artifactId");
            if ("false".equals(property(pom, "quiesce.published"))) {
                for (String skip : List.of("maven.deploy.skip", "maven.source.skip", "maven.javadoc.skip")) {
                    if (!"true".equals(property(pom, skip))) {
                        problems.add(dir + "/pom.xml sets quiesce.published to false but not " + skip
                                + " to true: add <" + skip + ">true</" + skip + "> to its <properties>");
                    }
                }
                if (listed.containsKey(artifactId)) {
                    problems.add("bom/pom.xml lists " + artifactId + ", but " + dir + "/pom.xml says it is not "
                            + "published (quiesce.published=false): remove one or the other");
                }
                continue;
            }
            published.add(artifactId);
            if (!listed.containsKey(artifactId)) {
                problems.add("module " + dir + " (" + artifactId + ") is published but not in bom/pom.xml: add it "
                        + "to the BOM's dependencyManagement with <version>${project.version}</version>, or set "
                        + "<quiesce.published>false</quiesce.published> (and maven.deploy.skip, maven.source.skip, "
                        + "maven.javadoc.skip) in " + dir + "/pom.xml if it is not to be released");
            } else if (!"${project.version}".equals(listed.get(artifactId))) {
                problems.add("bom/pom.xml lists " + artifactId + " at " + listed.get(artifactId)
                        + ": use <version>${project.version}</version>");
            }
        }
        for (String artifactId : listed.keySet()) {
            if (!published.contains(artifactId)
                    && problems.stream().noneMatch(p -> p.contains("bom/pom.xml lists " + artifactId))) {
                problems.add("bom/pom.xml lists " + artifactId + ", which is no module of the reactor: remove it");
            }
        }
        assertThat(problems).as("BOM problems").isEmpty();
        assertThat(published).as("published modules").contains("quiesce-core");
    }

    @Test
    void theBom_hasTheParentsVersion_andPinsItsPluginsAtTheParentsVersions() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml"));
        Element bom = read(ROOT.resolve(BOM_MODULE).resolve("pom.xml"));
        assertThat(child(bom, "parent")).as("bom/pom.xml must not have a parent (see its comment)").isNull();
        assertThat(text(bom, "groupId")).isEqualTo(text(parent, "groupId"));
        assertThat(text(bom, "version")).as("bom/pom.xml's version").isEqualTo(text(parent, "version"));
        assertThat(text(bom, "packaging")).isEqualTo("pom");

        List<Element> plugins = descendants(child(child(child(bom, "build"), "pluginManagement"), "plugins"), "plugin");
        assertThat(plugins).isNotEmpty();
        for (Element plugin : plugins) {
            String artifactId = text(plugin, "artifactId");
            assertThat(text(plugin, "version"))
                    .as("bom/pom.xml pins " + artifactId + "; keep it at the parent's ${" + artifactId + ".version}")
                    .isEqualTo(property(parent, artifactId + ".version"));
        }
    }

    private static Element read(Path pom) throws Exception {
        assertThat(pom).as("run from the samples module directory; the reactor's poms are at ..").isRegularFile();
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc;
        try (var in = Files.newInputStream(pom)) {
            doc = factory.newDocumentBuilder().parse(in);
        }
        return doc.getDocumentElement();
    }

    /** The direct child element {@code name} of {@code e}, or null. */
    private static Element child(Element e, String name) {
        if (e == null) {
            return null;
        }
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static List<Element> descendants(Element e, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = e == null ? null : e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                out.add(c);
            }
        }
        return out;
    }

    private static String text(Element e, String name) {
        Element c = child(e, name);
        return c == null ? null : c.getTextContent().trim();
    }

    private static String property(Element pom, String name) {
        return text(child(pom, "properties"), name);
    }
}
