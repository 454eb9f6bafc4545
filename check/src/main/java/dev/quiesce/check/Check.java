package dev.quiesce.check;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * {@code quiesce check deployment.yaml}: checks every Deployment and StatefulSet of a Kubernetes manifest against
 * Quiesce's shutdown timing rule (docs/kubernetes.md, "Checking a Deployment"): preStop plus the shutdown phases
 * plus the margin must fit {@code terminationGracePeriodSeconds}; the pre-drain delay must cover the readiness
 * probe's {@code periodSeconds x failureThreshold}; there must be a readiness probe, and the liveness probe must
 * not share its path.
 *
 * <p>Exit codes: 0 sound, 1 problems (one line each, saying what to change), 2 a usage error or a file that cannot
 * be read or is not a valid manifest.
 */
public final class Check {
    static final String USAGE = """
            usage: quiesce-check FILE [options]
              Checks every Deployment and StatefulSet in FILE (YAML, one or more documents, or a kind: List;
              - reads standard input) against Quiesce's shutdown timing rule.
              options (milliseconds; a flag wins over the manifest):
                --pre-drain-ms N        preDrainDelay        (default 0; the demo's 1000)
                --stop-accepting-ms N   stopAcceptingBudget  (default 1000)
                --grace-ms N            gracePeriod          (default 15000; the demo's 10000)
                --cancel-grace-ms N     cancelGrace          (default 2000; the demo's 1000)
                --persist-ms N          persistBudget        (default 4000; the demo's 2000)
                --cleanup-ms N          cleanupBudget        (default 4000; the demo's 2000)
                --margin-ms N           margin               (default 2000)
                --budget-ms N           platformBudget       (default 30000)
                --container NAME        check only this container
              Without a flag, a value comes from the container's command line when it runs the demo
              (java -jar quiesce-demo.jar serve --pre-drain-ms 5000 ...), else from its env (QUIESCE_PRE_DRAIN_MS,
              QUIESCE_STOP_ACCEPTING_MS, QUIESCE_GRACE_MS, QUIESCE_CANCEL_GRACE_MS, QUIESCE_PERSIST_MS,
              QUIESCE_CLEANUP_MS, QUIESCE_MARGIN_MS, QUIESCE_BUDGET_MS), else the default.
              Checked containers: --container, else those that run the demo or set QUIESCE_* variables, else all.
              exit code: 0 sound, 1 problems (each line says what to change), 2 usage error or unreadable file
            """;

    private Check() {}

    public static void main(String[] args) {
        int code;
        try {
            code = run(Path.of(""), args, System.in, System.out, System.err);
        } catch (RuntimeException e) {
            // a bug, not bad input (bad input is refused with its own message): still no stack trace for the user
            System.err.println("quiesce-check: internal error (" + e + "); please report it with the manifest");
            code = 2;
        }
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** A usage error or an input that cannot be checked: exit code 2, a message and no stack trace. */
    private static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean usage;

        Refused(String message, boolean usage) {
            super(message, null, false, false);
            this.usage = usage;
        }
    }

    /** One object of the file: a workload to check, or a note saying why it is skipped. */
    private record Entry(String where, Node object, String skipped) {}

    /**
     * Runs the check; relative paths resolve against {@code workDir} but are shown as given.
     *
     * @return the exit code
     */
    static int run(Path workDir, String[] args, InputStream stdin, PrintStream out, PrintStream err) {
        try {
            return check(workDir, args, stdin, out);
        } catch (Refused e) {
            err.println("quiesce-check: " + e.getMessage());
            if (e.usage) {
                err.println("run quiesce-check --help for the options");
            }
            return 2;
        }
    }

    private static int check(Path workDir, String[] args, InputStream stdin, PrintStream out) throws Refused {
        Map<Setting, Long> flags = new EnumMap<>(Setting.class);
        String file = null;
        String only = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                out.print(USAGE);
                return 0;
            }
            if (a.equals("-") || !a.startsWith("-")) {
                if (file != null) {
                    throw new Refused("one manifest at a time: got " + file + " and " + a, true);
                }
                file = a;
                continue;
            }
            String option = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                option = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            Setting setting = null;
            for (Setting s : Setting.values()) {
                if (s.flag().equals(option)) {
                    setting = s;
                }
            }
            if (setting == null && !option.equals("--container")) {
                throw new Refused("unknown option " + a, true);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new Refused(option + " needs a value", true);
                }
                value = args[++i];
            }
            if (setting == null) {
                only = value;
            } else {
                flags.put(setting, flagValue(setting, value));
            }
        }
        if (file == null) {
            throw new Refused("give the manifest to check: quiesce-check deployment.yaml", true);
        }
        String shown = file.equals("-") ? "<stdin>" : file;
        List<Object> documents = load(shown, read(workDir, file, stdin));
        List<Entry> entries;
        try {
            entries = entries(documents);
        } catch (Node.InvalidManifestException x) {
            throw new Refused(shown + ": " + x.getMessage(), false);
        }
        if (entries.stream().allMatch(e -> e.object() == null)) {
            List<String> found = new ArrayList<>();
            for (Entry e : entries) {
                found.add(e.skipped());
            }
            throw new Refused(shown + ": no Deployment or StatefulSet to check"
                    + (found.isEmpty() ? " (the file is empty)" : " (found " + String.join("; ", found) + ")"), false);
        }

        // The report is built in memory: an invalid workload further down refuses the whole file, with no half report.
        var buffer = new ByteArrayOutputStream();
        var report = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        var output = new Output(report);
        int workloads = 0;
        int containers = 0;
        boolean containerFound = false;
        for (Entry e : entries) {
            String where = shown + (documents.size() > 1 ? ", " + e.where() : "");
            if (e.object() == null) {
                output.line(where + ": skipped " + e.skipped() + " (only Deployments and StatefulSets are checked)");
                continue;
            }
            Node o = e.object();
            String title = o.get("kind").text().orElseThrow();
            try {
                title += " " + o.get("metadata").get("name").text().orElse("(unnamed)");
                output.line(where + ": " + title);
                workloads++;
                Node pod = o.get("spec").get("template").get("spec");
                if (!pod.present()) {
                    throw pod.invalid("is required (the pod template)");
                }
                Node grace = pod.get("terminationGracePeriodSeconds");
                long graceSeconds = grace.integer().orElse(30L);
                if (graceSeconds < 0) {
                    throw grace.invalid("must be 0 or more, was " + graceSeconds);
                }
                String graceFrom = grace.present() ? "manifest" : "Kubernetes' default";
                List<ContainerCheck> all = new ArrayList<>();
                for (Node c : pod.get("containers").list()) {
                    all.add(new ContainerCheck(c, graceSeconds, graceFrom, flags, output));
                }
                if (all.isEmpty()) {
                    throw pod.get("containers").invalid("must list at least one container");
                }
                List<ContainerCheck> chosen = choose(all, only, output);
                containerFound |= !chosen.isEmpty();
                for (ContainerCheck c : chosen) {
                    c.run();
                    containers++;
                }
            } catch (Node.InvalidManifestException x) {
                throw new Refused(where + " (" + title + "): " + x.getMessage(), false);
            }
        }
        if (only != null && !containerFound) {
            throw new Refused(shown + ": no container named " + only + " in its Deployments and StatefulSets", false);
        }
        int problems = output.problems();
        int warnings = output.warnings();
        output.line("summary: " + count(workloads, "workload") + ", " + count(containers, "container") + " checked: "
                + (problems == 0 ? "sound" : count(problems, "problem") + " (exit code 1)")
                + (warnings == 0 ? "" : ", " + count(warnings, "warning")));
        report.flush();
        out.print(buffer.toString(StandardCharsets.UTF_8));
        return problems == 0 ? 0 : 1;
    }

    private static List<ContainerCheck> choose(List<ContainerCheck> all, String only, Output output) {
        List<String> names = all.stream().map(ContainerCheck::name).toList();
        if (only != null) {
            List<ContainerCheck> named = all.stream().filter(c -> c.name().equals(only)).toList();
            if (named.isEmpty()) {
                output.line("  no container " + only + " here (containers: " + String.join(", ", names) + ")");
            }
            return named;
        }
        List<ContainerCheck> quiesce = all.stream().filter(c -> c.runsDemo() || c.hasQuiesceEnv()).toList();
        if (quiesce.isEmpty()) {
            return all;
        }
        for (ContainerCheck c : all) {
            if (!quiesce.contains(c)) {
                output.line("  container " + c.name() + ": skipped (it neither runs the demo nor sets QUIESCE_* "
                        + "variables; check it with --container " + c.name() + ")");
            }
        }
        return quiesce;
    }

    private static List<Entry> entries(List<Object> documents) {
        List<Entry> entries = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            Object doc = documents.get(d);
            if (doc == null) {
                continue; // an empty document (a trailing ---)
            }
            String where = "document " + (d + 1);
            Node root = new Node("", doc);
            if (!root.isMap()) {
                entries.add(new Entry(where, null, "a document that is not a Kubernetes object (not a mapping)"));
                continue;
            }
            if (root.get("kind").text().orElse("").equals("List")) {
                List<Node> items = root.get("items").list();
                for (int i = 0; i < items.size(); i++) {
                    entries.add(entry(where + ", item " + (i + 1), items.get(i)));
                }
            } else {
                entries.add(entry(where, root));
            }
        }
        return entries;
    }

    private static Entry entry(String where, Node object) {
        if (!object.isMap()) {
            return new Entry(where, null, "an item that is not a Kubernetes object (not a mapping)");
        }
        String kind = object.get("kind").text().orElse("");
        if (kind.equals("Deployment") || kind.equals("StatefulSet")) {
            return new Entry(where, object, null);
        }
        String name = object.get("metadata").get("name").text().orElse("(unnamed)");
        return new Entry(where, null, kind.isEmpty() ? "an object without a kind (" + name + ")" : kind + " " + name);
    }

    private static long flagValue(Setting s, String value) throws Refused {
        long ms;
        try {
            ms = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new Refused(s.flag() + " takes a whole number of milliseconds, was '" + value + "'", true);
        }
        if (ms < 0 || (ms == 0 && !s.zeroAllowed)) {
            throw new Refused(s.flag() + " must be " + (s.zeroAllowed ? "0 or more" : "more than 0") + ", was " + ms,
                    true);
        }
        return ms;
    }

    private static String read(Path workDir, String file, InputStream stdin) throws Refused {
        byte[] bytes;
        if (file.equals("-")) {
            try {
                bytes = stdin.readAllBytes();
            } catch (IOException e) {
                throw new Refused("cannot read standard input: " + e.getMessage(), false);
            }
        } else {
            Path path = workDir.resolve(file);
            if (Files.isDirectory(path)) {
                throw new Refused("cannot read " + file + ": it is a directory; give a YAML file", false);
            }
            try {
                bytes = Files.readAllBytes(path);
            } catch (NoSuchFileException e) {
                throw new Refused("cannot read " + file + ": no such file", false);
            } catch (AccessDeniedException e) {
                throw new Refused("cannot read " + file + ": permission denied", false);
            } catch (IOException e) {
                throw new Refused("cannot read " + file + ": " + e.getMessage(), false);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Refused((file.equals("-") ? "standard input" : file) + " is not UTF-8 text: give a YAML file",
                    false);
        }
    }

    /** Parses every document; SafeConstructor builds only maps, lists and scalars, never an arbitrary type. */
    private static List<Object> load(String shown, String text) throws Refused {
        var options = new LoaderOptions();
        options.setAllowDuplicateKeys(false); // a second key would silently hide the first one's setting
        var yaml = new Yaml(new SafeConstructor(options));
        List<Object> documents = new ArrayList<>();
        try {
            for (Object d : yaml.loadAll(text)) {
                documents.add(d);
            }
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark();
            String at = mark == null ? ""
                    : " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")";
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            throw new Refused(shown + " is not valid YAML: " + context + e.getProblem() + at, false);
        } catch (YAMLException e) {
            throw new Refused(shown + " is not valid YAML: " + e.getMessage(), false);
        }
        return documents;
    }

    private static String count(int n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
