package dev.quiesce.benchmarks;

import dev.quiesce.benchmarks.PairedStats.Op;
import dev.quiesce.benchmarks.PairedStats.Summary;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The paired mode of the suite (issue 16, "ratios that hold"): every implementation of a cell in one JVM,
 * in interleaved blocks, reported as the median and interquartile range of the per-block ratio to the
 * baseline measured in the same block.
 * <p>A cancel-to-join cell is a kind, an n and an issuer; its implementations are those of
 * {@link CancelToJoin} (floor, executor, the JDK's and Quiesce's flat, 10 &times; n/10 and
 * 10 &times; 10 &times; n/100 scopes), each invocation being {@link CancelToJoin}'s own set-up (not timed),
 * its {@code cancelToJoin()} (timed, {@link System#nanoTime()}) and its tear-down. A fork-cost cell is an n
 * and a starter, with {@link ForkCost}'s implementations (bare, executor, jdk, quiesce) and baseline
 * {@code bare}. A block runs every implementation of the cell once, in an order shuffled per block (seeded,
 * the seed is in the output); the first {@code --warmup} blocks are discarded. A drift of a shared machine
 * then falls on every implementation of a block alike, and the ratio within a block cancels it.
 * <p>Output: {@code DIR/paired.json} (every time, the per-block orders, the summaries, the verdicts) and
 * {@code DIR/paired.md} (the tables). Verdicts against issue 16's targets: "met" when the whole IQR of the
 * ratio is on the target's side, "missed" when the whole IQR is on the wrong side, "inconclusive" otherwise.
 * Exit status 0 when every invocation ran (whatever the verdicts), 1 if one failed or did not complete (the
 * files are still written), 2 on bad arguments.
 * <pre>
 * java --enable-preview -Xms4g -Xmx4g -cp benchmarks/target/benchmarks.jar dev.quiesce.benchmarks.Paired \
 *     --out DIR [--n 10000,100000] [--kind park,sleep] [--issuer platform] [--blocks 15] [--warmup 3]
 *     [--fork-n 10000] [--starter platform,virtual] [--fork-blocks 30] [--parts cancel,fork] [--seed S]
 * </pre>
 */
public final class Paired {

    static final List<String> CANCEL_IMPLS = List.of("floor", "executor", "jdkFlat", "jdkNested", "jdkTree",
            "quiesceFlat", "quiesceNested", "quiesceTree");
    static final List<String> FORK_IMPLS = List.of("bare", "executor", "jdk", "quiesce");

    private static final Map<String, String> LABEL = Map.ofEntries(
            Map.entry("floor", "floor: bare VTs, interrupt + join each"),
            Map.entry("executor", "newVirtualThreadPerTaskExecutor"),
            Map.entry("jdkFlat", "JDK StructuredTaskScope, flat"),
            Map.entry("jdkNested", "JDK StructuredTaskScope, 10 × n/10"),
            Map.entry("jdkTree", "JDK StructuredTaskScope, 10 × 10 × n/100"),
            Map.entry("quiesceFlat", "Quiesce, flat"),
            Map.entry("quiesceNested", "Quiesce, 10 × n/10"),
            Map.entry("quiesceTree", "Quiesce, 10 × 10 × n/100"),
            Map.entry("bare", "Thread.ofVirtual().start"),
            Map.entry("jdk", "JDK StructuredTaskScope.fork"),
            Map.entry("quiesce", "Quiesce Scope.fork"));

    /** A target of issue 16: {@code a / b} (per block) {@code op threshold}, for cells with n at least minN. */
    record Target(String label, String a, String b, Op op, double threshold, int minN) {}

    static final List<Target> CANCEL_TARGETS = List.of(
            new Target("Quiesce flat ≤ 0.9 × floor", "quiesceFlat", "floor", Op.AT_MOST, 0.9, 0),
            new Target("Quiesce flat below the JDK's flat scope", "quiesceFlat", "jdkFlat", Op.BELOW, 1.0, 0),
            new Target("Quiesce 10 × n/10 at most Quiesce flat", "quiesceNested", "quiesceFlat", Op.AT_MOST, 1.0, 0),
            new Target("Quiesce 10 × 10 × n/100 at most Quiesce flat", "quiesceTree", "quiesceFlat", Op.AT_MOST, 1.0, 0),
            new Target("Quiesce 10 × n/10 below the JDK's 10 × n/10", "quiesceNested", "jdkNested", Op.BELOW, 1.0, 0),
            new Target("Quiesce 10 × 10 × n/100 below the JDK's 10 × n/10", "quiesceTree", "jdkNested", Op.BELOW, 1.0, 0),
            new Target("Quiesce 10 × n/10 ≤ 0.6 × floor (n ≥ 100 000)", "quiesceNested", "floor", Op.AT_MOST, 0.6, 100_000),
            new Target("Quiesce 10 × 10 × n/100 ≤ 0.6 × floor (n ≥ 100 000)", "quiesceTree", "floor", Op.AT_MOST, 0.6,
                    100_000));

    static final List<Target> FORK_TARGETS = List.of(
            new Target("Quiesce fork ≤ 1.2 × bare", "quiesce", "bare", Op.AT_MOST, 1.2, 0),
            new Target("Quiesce fork no higher than the executor", "quiesce", "executor", Op.AT_MOST, 1.0, 0));

    /** One cell: its parameters, and per implementation the measured times (ms), one per measured block. */
    static final class Cell {
        final String type; // "cancel" or "fork"
        final String kind; // cancel: park, sleep, ...; fork: null
        final int n;
        final String thread; // the issuer (cancel) or the starter (fork)
        final List<String> impls;
        final Map<String, double[]> ms = new LinkedHashMap<>();
        final List<List<String>> orders = new ArrayList<>();
        int blocks;
        String error;
        String loadStart;
        String loadEnd;

        Cell(String type, String kind, int n, String thread) {
            this.type = type;
            this.kind = kind;
            this.n = n;
            this.thread = thread;
            impls = type.equals("cancel") ? CANCEL_IMPLS : FORK_IMPLS;
        }

        String baseline() {
            return type.equals("cancel") ? "floor" : "bare";
        }

        String title() {
            String t = type.equals("cancel") ? kind + ", n = " + nLabel(n) + ", issuer " + thread
                    : "fork, n = " + nLabel(n) + ", starter " + thread;
            return t;
        }

        List<Target> targets() {
            return type.equals("cancel") ? CANCEL_TARGETS : FORK_TARGETS;
        }

        /** Per-block ratio of {@code a} to {@code b}, or null if one was not measured. */
        Summary ratio(String a, String b) {
            double[] x = ms.get(a);
            double[] y = ms.get(b);
            if (x == null || y == null || blocks == 0) {
                return null;
            }
            return PairedStats.summarize(PairedStats.ratios(Arrays.copyOf(x, blocks), Arrays.copyOf(y, blocks)));
        }
    }

    /** The options of one run. */
    static final class Options {
        Path out;
        List<Integer> ns = List.of(10_000);
        List<String> kinds = List.of("park", "sleep");
        List<String> issuers = List.of("platform");
        List<Integer> forkNs = List.of(10_000);
        List<String> starters = List.of("platform", "virtual");
        int blocks = 15;
        int warmup = 3;
        int forkBlocks = 30;
        List<String> parts = List.of("cancel", "fork");
        long seed = System.nanoTime();
        List<String> args = List.of();

        static Options parse(String[] args) {
            Options o = new Options();
            o.args = List.of(args);
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--out" -> o.out = Path.of(v);
                    case "--n" -> o.ns = ints(a, v);
                    case "--kind" -> o.kinds = oneOf(a, v, List.of("park", "sleep", "socket", "cpu"));
                    case "--issuer" -> o.issuers = oneOf(a, v, List.of("platform", "virtual"));
                    case "--fork-n" -> o.forkNs = ints(a, v);
                    case "--starter" -> o.starters = oneOf(a, v, List.of("platform", "virtual"));
                    case "--blocks" -> o.blocks = positive(a, v);
                    case "--warmup" -> o.warmup = whole(a, v, 0);
                    case "--fork-blocks" -> o.forkBlocks = positive(a, v);
                    case "--parts" -> o.parts = oneOf(a, v, List.of("cancel", "fork"));
                    case "--seed" -> o.seed = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (o.out == null) {
                throw new IllegalArgumentException("--out DIR is required");
            }
            return o;
        }

        private static List<Integer> ints(String opt, String v) {
            List<Integer> r = new ArrayList<>();
            for (String s : v.split(",")) {
                r.add(positive(opt, s));
            }
            return r;
        }

        private static int positive(String opt, String v) {
            return whole(opt, v, 1);
        }

        private static int whole(String opt, String v, int min) {
            int x;
            try {
                x = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                x = Integer.MIN_VALUE;
            }
            if (x < min) {
                throw new IllegalArgumentException(opt + " wants a whole number of at least " + min + ", was \"" + v
                        + "\"");
            }
            return x;
        }

        private static List<String> oneOf(String opt, String v, List<String> allowed) {
            List<String> r = List.of(v.split(","));
            for (String s : r) {
                if (!allowed.contains(s)) {
                    throw new IllegalArgumentException(opt + " takes a comma-separated list of " + allowed + ", was \""
                            + v + "\"");
                }
            }
            return r;
        }
    }

    private Paired() {}

    /**
     * Runs the paired mode (see the class comment for the options).
     * @param args the options
     * @throws Exception if writing the results fails
     */
    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("Paired: " + e.getMessage());
            System.err.println("usage: Paired --out DIR [--n 10000,100000] [--kind park,sleep] [--issuer platform]"
                    + " [--blocks 15] [--warmup 3] [--fork-n 10000] [--starter platform,virtual] [--fork-blocks 30]"
                    + " [--parts cancel,fork] [--seed S]");
            System.exit(2);
            return;
        }
        List<Cell> cells = run(o);
        boolean failed = cells.stream().anyMatch(c -> c.error != null);
        System.exit(failed ? 1 : 0);
    }

    /** Runs every cell of {@code o}, writes {@code paired.json} and {@code paired.md}, returns the cells. */
    static List<Cell> run(Options o) throws IOException {
        Files.createDirectories(o.out);
        String started = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").format(Instant.now().atZone(ZoneOffset.UTC));
        String loadStart = loadAverage();
        Random random = new Random(o.seed);
        List<Cell> cells = new ArrayList<>();
        if (o.parts.contains("cancel")) {
            for (int n : o.ns) {
                for (String kind : o.kinds) {
                    for (String issuer : o.issuers) {
                        cells.add(new Cell("cancel", kind, n, issuer));
                    }
                }
            }
        }
        if (o.parts.contains("fork")) {
            for (int n : o.forkNs) {
                for (String starter : o.starters) {
                    cells.add(new Cell("fork", null, n, starter));
                }
            }
        }
        for (Cell c : cells) {
            int blocks = c.type.equals("cancel") ? o.blocks : o.forkBlocks;
            c.loadStart = loadAverage();
            try {
                runCell(c, o.warmup, blocks, random);
            } catch (Exception e) {
                c.error = e.toString();
                System.err.println("paired " + c.title() + ": FAILED after " + c.blocks + " blocks: " + e);
            }
            c.loadEnd = loadAverage();
            System.err.println("paired " + c.title() + ": " + c.blocks + " blocks, ratio to " + c.baseline() + " "
                    + summaryLine(c));
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("started", started);
        meta.put("ended", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").format(Instant.now().atZone(ZoneOffset.UTC)));
        meta.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        meta.put("processors", Runtime.getRuntime().availableProcessors());
        meta.put("maxHeapMiB", Runtime.getRuntime().maxMemory() >> 20);
        meta.put("loadAverageStart", loadStart);
        meta.put("loadAverageEnd", loadAverage());
        meta.put("args", String.join(" ", o.args));
        meta.put("seed", o.seed);
        meta.put("warmupBlocks", o.warmup);
        Files.writeString(o.out.resolve("paired.json"), json(meta, cells), StandardCharsets.UTF_8);
        Files.writeString(o.out.resolve("paired.md"), markdown(meta, cells), StandardCharsets.UTF_8);
        return cells;
    }

    private static String summaryLine(Cell c) {
        StringBuilder sb = new StringBuilder();
        for (String impl : c.impls) {
            Summary s = c.ratio(impl, c.baseline());
            if (s != null && !impl.equals(c.baseline())) {
                sb.append(impl).append(' ').append(s.format()).append("  ");
            }
        }
        return sb.toString().trim();
    }

    private static void runCell(Cell c, int warmup, int blocks, Random random) throws Exception {
        for (String impl : c.impls) {
            c.ms.put(impl, new double[blocks]);
        }
        List<String> order = new ArrayList<>(c.impls);
        for (int b = -warmup; b < blocks; b++) {
            Collections.shuffle(order, random);
            for (String impl : order) {
                double ms = c.type.equals("cancel") ? cancelOnce(c, impl) : forkOnce(c, impl);
                if (b >= 0) {
                    c.ms.get(impl)[b] = ms;
                }
            }
            if (b >= 0) {
                c.orders.add(List.copyOf(order));
                c.blocks = b + 1;
            }
        }
    }

    /** One {@link CancelToJoin} invocation: its set-up and tear-down untimed, its benchmark method timed (ms). */
    private static double cancelOnce(Cell c, String impl) throws Exception {
        CancelToJoin b = new CancelToJoin();
        b.n = c.n;
        b.kind = c.kind;
        b.impl = impl;
        b.issuer = c.thread;
        return timed(b::setUp, b::cancelToJoin, b::tearDown);
    }

    /** One {@link ForkCost} invocation: its set-up and tear-down untimed, its benchmark method timed (ms). */
    private static double forkOnce(Cell c, String impl) throws Exception {
        ForkCost b = new ForkCost();
        b.n = c.n;
        b.impl = impl;
        b.starter = c.thread;
        return timed(b::setUp, b::startAll, b::tearDown);
    }

    /** A step of an invocation (JMH's set-up, benchmark method, tear-down). */
    private interface Step {
        void run() throws Exception;
    }

    /** Runs {@code setUp}, then {@code measured} timed, then (always, once set up) {@code tearDown}; ms. */
    private static double timed(Step setUp, Step measured, Step tearDown) throws Exception {
        setUp.run();
        long t0;
        long t1;
        try {
            t0 = System.nanoTime();
            measured.run();
            t1 = System.nanoTime();
        } finally {
            tearDown.run();
        }
        return (t1 - t0) / 1e6;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String nLabel(int n) {
        return String.format(Locale.ROOT, "%,d", n).replace(',', ' ');
    }

    // ------------------------------------------------------------------ output

    /** The verdict rows of a cell: target, summary (null if not measured), verdict label. */
    static List<Object[]> verdicts(Cell c) {
        List<Object[]> rows = new ArrayList<>();
        for (Target t : c.targets()) {
            if (c.n < t.minN()) {
                continue;
            }
            Summary s = c.ratio(t.a(), t.b());
            String v = s == null ? "not measured" : PairedStats.verdict(s, t.op(), t.threshold()).label;
            rows.add(new Object[] {t, s, v});
        }
        return rows;
    }

    static String markdown(Map<String, Object> meta, List<Cell> cells) {
        StringBuilder md = new StringBuilder();
        md.append("Median of the per-block ratio [interquartile range] over the measured blocks; every implementation of "
                + "a column ran once per block, in a shuffled order, in one JVM (`Paired`). Warm-up blocks "
                + "discarded: ").append(meta.get("warmupBlocks")).append(". Machine: ").append(meta.get("processors"))
                .append(" CPUs, ").append(meta.get("jdk")).append(", heap ").append(meta.get("maxHeapMiB"))
                .append(" MiB; ").append(meta.get("started")).append(" to ").append(meta.get("ended"))
                .append("; load average ").append(meta.get("loadAverageStart")).append(" at the start, ")
                .append(meta.get("loadAverageEnd")).append(" at the end. Arguments: `").append(meta.get("args"))
                .append("`, seed ").append(meta.get("seed")).append(".\n\n");
        for (String type : List.of("cancel", "fork")) {
            List<Cell> cs = cells.stream().filter(c -> c.type.equals(type)).toList();
            if (cs.isEmpty()) {
                continue;
            }
            List<String> bases = type.equals("cancel") ? List.of("floor", "jdkNested") : List.of("bare", "executor");
            for (String base : bases) {
                md.append(type.equals("cancel") ? "Cancel-to-join" : "Fork cost").append(", ratio to ")
                        .append(LABEL.get(base)).append(" in the same block (lower is better):\n\n");
                md.append("| implementation |");
                for (Cell c : cs) {
                    md.append(' ').append(c.title()).append(" |");
                }
                md.append("\n|---|");
                md.append("---|".repeat(cs.size())).append('\n');
                for (String impl : cs.getFirst().impls) {
                    md.append("| ").append(LABEL.get(impl)).append(" |");
                    for (Cell c : cs) {
                        Summary s = c.ratio(impl, base);
                        md.append(' ').append(s == null ? "—" : s.format()).append(" |");
                    }
                    md.append('\n');
                }
                md.append("| *").append(LABEL.get(base)).append(", median ms* |");
                for (Cell c : cs) {
                    double[] x = c.ms.get(base);
                    md.append(' ').append(x == null || c.blocks == 0 ? "—"
                            : String.format(Locale.ROOT, "%.2f", PairedStats.median(Arrays.copyOf(x, c.blocks))))
                            .append(" |");
                }
                md.append("\n| *measured blocks; load average* |");
                for (Cell c : cs) {
                    md.append(' ').append(c.blocks).append("; ").append(c.loadStart).append(" → ").append(c.loadEnd)
                            .append(" |");
                }
                md.append("\n\n");
            }
        }
        md.append("Targets (issue 16): \"met\" when the whole interquartile range of the per-block ratio is on the "
                + "target's side, \"missed\" when all of it is on the wrong side, \"inconclusive\" otherwise.\n\n");
        md.append("| target | cell | per-block ratio, median [IQR] | verdict |\n|---|---|---|---|\n");
        for (Cell c : cells) {
            for (Object[] row : verdicts(c)) {
                Target t = (Target) row[0];
                Summary s = (Summary) row[1];
                String v = (String) row[2];
                md.append("| ").append(t.label()).append(" | ").append(c.title()).append(" | ")
                        .append(s == null ? "—" : s.format() + " (" + t.a() + " / " + t.b() + ", target "
                                + t.op().symbol + " " + t.threshold() + ")")
                        .append(" | ").append(v.equals("met") ? v : "**" + v + "**").append(" |\n");
            }
        }
        List<Cell> failed = cells.stream().filter(c -> c.error != null).toList();
        if (!failed.isEmpty()) {
            md.append("\nFailed cells (their figures cover the blocks before the failure):\n\n");
            for (Cell c : failed) {
                md.append("- ").append(c.title()).append(": ").append(c.error.replace("|", "\\|")).append('\n');
            }
        }
        return md.toString();
    }

    /** {@code paired.json}: the meta data, and per cell every time, every block's order, the summaries, the verdicts. */
    static String json(Map<String, Object> meta, List<Cell> cells) {
        List<Object> cs = new ArrayList<>();
        for (Cell c : cells) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", c.type);
            m.put("kind", c.kind);
            m.put("n", c.n);
            m.put(c.type.equals("cancel") ? "issuer" : "starter", c.thread);
            m.put("baseline", c.baseline());
            m.put("blocks", c.blocks);
            m.put("loadAverageStart", c.loadStart);
            m.put("loadAverageEnd", c.loadEnd);
            m.put("error", c.error);
            Map<String, Object> impls = new LinkedHashMap<>();
            for (String impl : c.impls) {
                Map<String, Object> e = new LinkedHashMap<>();
                List<Object> ms = new ArrayList<>();
                for (double x : Arrays.copyOf(c.ms.getOrDefault(impl, new double[0]), c.blocks)) {
                    ms.add(decimal(x));
                }
                e.put("ms", ms);
                for (String base : c.type.equals("cancel") ? List.of("floor", "jdkNested") : List.of("bare", "executor")) {
                    e.put("ratioTo" + Character.toUpperCase(base.charAt(0)) + base.substring(1), summary(c.ratio(impl, base)));
                }
                impls.put(impl, e);
            }
            m.put("impls", impls);
            m.put("orders", c.orders);
            List<Object> targets = new ArrayList<>();
            for (Object[] row : verdicts(c)) {
                Target t = (Target) row[0];
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("target", t.label());
                e.put("ratio", t.a() + " / " + t.b());
                e.put("op", t.op().symbol);
                e.put("threshold", decimal(t.threshold()));
                e.put("measured", summary((Summary) row[1]));
                e.put("verdict", row[2]);
                targets.add(e);
            }
            m.put("targets", targets);
            cs.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("meta", meta);
        root.put("cells", cs);
        return ShutdownEndToEnd.Json.write(root) + "\n";
    }

    private static Map<String, Object> summary(Summary s) {
        if (s == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median", decimal(s.median()));
        m.put("q1", decimal(s.q1()));
        m.put("q3", decimal(s.q3()));
        m.put("count", s.count());
        return m;
    }

    /** Four decimals, as a JSON number ({@code ShutdownEndToEnd.Json} writes a {@code Double} with one). */
    private static BigDecimal decimal(double x) {
        return BigDecimal.valueOf(x).setScale(4, RoundingMode.HALF_EVEN);
    }
}
