package dev.quiesce.check;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks one container of a pod template against Quiesce's timing rule and prints what it found: the settings
 * and where each came from, the timeline from the pod's deletion, the probes, then one line per problem (each
 * says what to change), warning and note. Single use, not thread-safe.
 */
final class ContainerCheck {
    /** Kubernetes' defaults for a probe. */
    static final long PROBE_PERIOD_DEFAULT = 10;
    static final long PROBE_FAILURES_DEFAULT = 3;

    /** {@code sleep N}, {@code /bin/sleep 5s}, {@code exec sleep 1m}: GNU sleep's forms that the checker times. */
    private static final Pattern SLEEP = Pattern.compile(
            "(?:exec\\s+)?(?:/usr)?(?:/bin/)?sleep\\s+(\\d+(?:\\.\\d+)?)([smh]?)\\s*;?");
    private static final String DRAIN_PATH = "/quiesce/drain";
    private static final List<String> SHELLS = List.of("sh", "bash", "ash", "dash", "zsh");

    enum Source { FLAG, ARGS, ENV, DEFAULT }

    /** A resolved setting. */
    record Value(long ms, Source source, String from) {}

    enum PreStopKind { NONE, SLEEP, DRAIN, UNKNOWN }

    /** The container's preStop hook as far as its duration goes. */
    record PreStop(PreStopKind kind, long ms, String description) {}

    /** A probe as far as the rule goes; {@code kind} is httpGet, tcpSocket, exec or grpc. */
    record Probe(String kind, String path, String port, long period, boolean periodDefault, long failures,
            boolean failuresDefault) {
        long windowMs() {
            return period * failures * 1000;
        }

        String describe() {
            String where = switch (kind) {
                case "httpGet" -> "httpGet " + path + " port " + port;
                case "tcpSocket" -> "tcpSocket port " + port;
                default -> kind;
            };
            return where + ", periodSeconds " + period + (periodDefault ? " (default)" : "") + " x failureThreshold "
                    + failures + (failuresDefault ? " (default)" : "");
        }
    }

    private final Node container;
    private final String name;
    private final long gracePeriodSeconds;
    private final String gracePeriodFrom;
    private final Map<Setting, Long> flags;
    private final Output out;

    private final List<String> tokens = new ArrayList<>();
    private String shellScript;
    private List<String> demoArgs;
    private final Map<Setting, Value> values = new EnumMap<>(Setting.class);

    ContainerCheck(Node container, long gracePeriodSeconds, String gracePeriodFrom, Map<Setting, Long> flags,
            Output out) {
        this.container = container;
        this.name = container.get("name").text().orElse("(unnamed)");
        this.gracePeriodSeconds = gracePeriodSeconds;
        this.gracePeriodFrom = gracePeriodFrom;
        this.flags = flags;
        this.out = out;
        readCommandLine();
    }

    String name() {
        return name;
    }

    /** Whether the container runs the demo ({@code java -jar quiesce-demo.jar serve ...}). */
    boolean runsDemo() {
        return demoArgs != null;
    }

    /** Whether the container's env has a {@code QUIESCE_*} variable. */
    boolean hasQuiesceEnv() {
        return container.get("env").list().stream()
                .anyMatch(e -> e.get("name").text().orElse("").startsWith("QUIESCE_"));
    }

    /** Runs the check and prints it. */
    void run() {
        out.line("  container " + name + (runsDemo() ? ": runs the demo (quiesce-demo.jar serve)"
                : hasQuiesceEnv() ? ": QUIESCE_* settings in its env" : ""));
        if (shellScript != null && !shellScript.strip().startsWith("exec ") && !shellScript.contains("exec java")) {
            out.warning("the command runs through a shell (" + tokens.get(0) + " -c): the shell is PID 1 and SIGTERM does "
                    + "not reach Quiesce unless the script ends in 'exec java ...'; use the exec form "
                    + "(command: [\"java\", ...]) or exec");
        }
        resolveSettings();
        PreStop preStop = preStop();
        printTimeline(preStop);
        checkBudgets(preStop);
        checkProbes();
    }

    // ---- settings ----------------------------------------------------------------------------------------

    private void readCommandLine() {
        for (Node n : container.get("command").list()) {
            tokens.add(n.text().orElse(""));
        }
        for (Node n : container.get("args").list()) {
            tokens.add(n.text().orElse(""));
        }
        if (tokens.size() >= 3 && SHELLS.contains(baseName(tokens.get(0))) && tokens.get(1).equals("-c")) {
            shellScript = tokens.get(2);
            List<String> split = new ArrayList<>(List.of(tokens.get(0), "-c"));
            for (String t : shellScript.strip().split("\\s+")) {
                split.add(t.replaceAll("^[\"']|[\"']$", ""));
            }
            split.addAll(tokens.subList(3, tokens.size()));
            tokens.clear();
            tokens.addAll(split);
        }
        int serve = tokens.indexOf("serve");
        if (serve < 0) {
            return;
        }
        List<String> after = tokens.subList(serve + 1, tokens.size());
        boolean demoJar = tokens.subList(0, serve).stream()
                .anyMatch(t -> t.endsWith("quiesce-demo.jar") || t.equals("dev.quiesce.samples.Demo"));
        boolean demoOptions = after.stream().anyMatch(t -> optionOf(t) != null);
        if (demoJar || demoOptions) {
            demoArgs = List.copyOf(after);
        }
    }

    private static Setting optionOf(String token) {
        for (Setting s : Setting.values()) {
            if (s.demoOption() && s.flag().equals(token)) {
                return s;
            }
        }
        return null;
    }

    private void resolveSettings() {
        Map<Setting, String> fromArgs = new EnumMap<>(Setting.class);
        if (demoArgs != null) {
            for (int i = 0; i < demoArgs.size(); i++) {
                Setting s = optionOf(demoArgs.get(i));
                if (s == null) {
                    continue;
                }
                if (i + 1 >= demoArgs.size()) {
                    out.problem(s.flag() + " in the container's args needs a value (milliseconds): the demo refuses "
                            + "to start; add one, e.g. " + s.flag() + " " + s.demoMs);
                    break;
                }
                fromArgs.put(s, demoArgs.get(++i)); // the last one wins, as in the demo
            }
        }
        Map<Setting, Node> fromEnv = new EnumMap<>(Setting.class);
        for (Node e : container.get("env").list()) {
            String var = e.get("name").text().orElse("");
            if (!var.startsWith("QUIESCE_")) {
                continue;
            }
            Setting s = null;
            for (Setting c : Setting.values()) {
                if (c.env().equals(var)) {
                    s = c;
                }
            }
            if (s == null) {
                out.warning("env " + var + " is not a setting the checker knows, so it is not counted; the names are "
                        + String.join(", ", envNames()));
            } else if (e.get("value").present() || !e.get("valueFrom").present()) {
                fromEnv.put(s, e.get("value")); // a later entry wins, as in Kubernetes
            } else {
                out.warning("env " + var + " comes from valueFrom, which the checker cannot read: its value is not "
                        + "counted; pass " + s.flag() + " with the value it has");
                fromEnv.remove(s);
            }
        }
        for (Setting s : Setting.values()) {
            values.put(s, resolve(s, fromArgs.get(s), fromEnv.get(s)));
        }
    }

    private Value resolve(Setting s, String arg, Node env) {
        Long flag = flags.get(s);
        if (flag != null) {
            return new Value(flag, Source.FLAG, "flag " + s.flag());
        }
        if (arg != null) {
            Long ms = parseMs(s, arg, s.flag() + " in the container's args");
            if (ms != null) {
                return new Value(ms, Source.ARGS, "manifest args " + s.flag() + " " + arg);
            }
        }
        if (env != null) {
            String raw = env.text().orElse("");
            Long ms = parseMs(s, raw, "env " + s.env());
            if (ms != null) {
                return new Value(ms, Source.ENV, "env " + s.env() + "=" + raw);
            }
        }
        if (runsDemo()) {
            return switch (s.demo) {
                case OPTION -> new Value(s.demoMs, Source.DEFAULT, "default: the demo's " + s.flag());
                case FIXED -> new Value(s.demoMs, Source.DEFAULT, "default: the demo's fixed " + s.builderMethod);
                case BUILDER -> new Value(s.builderDefaultMs, Source.DEFAULT, "default: Shutdown.Builder");
            };
        }
        return new Value(s.builderDefaultMs, Source.DEFAULT, "default: Shutdown.Builder");
    }

    /** Parses a value from the manifest; a bad one is a problem (the service would refuse it) and counts as absent. */
    private Long parseMs(Setting s, String raw, String where) {
        long ms;
        try {
            ms = Long.parseLong(raw.strip());
        } catch (NumberFormatException e) {
            out.problem(where + " takes a whole number of milliseconds, was '" + raw + "'; the service refuses to start: "
                    + "fix the value (the check goes on without it)");
            return null;
        }
        if (ms < 0 || (ms == 0 && !s.zeroAllowed)) {
            out.problem(where + " is " + ms + ": Shutdown.Builder refuses a " + s.label + " that is "
                    + (ms < 0 ? "negative" : "zero") + "; set it to " + (s.zeroAllowed ? "0 or more" : "more than 0")
                    + " (the check goes on without it)");
            return null;
        }
        return ms;
    }

    private static List<String> envNames() {
        List<String> names = new ArrayList<>();
        for (Setting s : Setting.values()) {
            names.add(s.env());
        }
        return names;
    }

    private long ms(Setting s) {
        return values.get(s).ms();
    }

    /** How the user changes a setting, for the problem messages. */
    private String howToSet(Setting s) {
        Value v = values.get(s);
        return switch (v.source()) {
            case FLAG -> s.flag() + " (given as a flag here: change it where the service gets it)";
            case ARGS -> s.flag() + " in the container's args";
            case ENV -> "env " + s.env();
            case DEFAULT -> runsDemo() && s.demoOption() ? s.flag() + " in the container's args"
                    : "Shutdown.Builder." + s.builderMethod + "(...) or env " + s.env();
        };
    }

    private boolean changeable(Setting s) {
        return !(runsDemo() && values.get(s).source() == Source.DEFAULT && s.demo != Setting.Demo.OPTION);
    }

    // ---- preStop ----------------------------------------------------------------------------------------

    private PreStop preStop() {
        Node hook = container.get("lifecycle").get("preStop");
        if (!hook.present()) {
            return new PreStop(PreStopKind.NONE, 0, "no preStop hook");
        }
        Node sleep = hook.get("sleep");
        if (sleep.present()) {
            long seconds = sleep.get("seconds").integer()
                    .orElseThrow(() -> sleep.get("seconds").invalid("is required (the sleep action's length)"));
            return new PreStop(PreStopKind.SLEEP, seconds * 1000, "sleep: {seconds: " + seconds + "}");
        }
        Node exec = hook.get("exec");
        if (exec.present()) {
            List<String> cmd = new ArrayList<>();
            for (Node n : exec.get("command").list()) {
                cmd.add(n.text().orElse(""));
            }
            return execPreStop(cmd);
        }
        Node http = hook.get("httpGet");
        if (http.present()) {
            String path = http.get("path").text().orElse("/");
            String port = http.get("port").text().orElse("?");
            String what = "httpGet " + path + " port " + port;
            if (path.contains(DRAIN_PATH)) {
                return drain(what);
            }
            return new PreStop(PreStopKind.UNKNOWN, 0, what);
        }
        return new PreStop(PreStopKind.UNKNOWN, 0, "a preStop action the checker does not know");
    }

    private PreStop execPreStop(List<String> cmd) {
        String shown = "exec " + String.join(" ", cmd);
        String line = String.join(" ", cmd);
        if (cmd.size() >= 3 && SHELLS.contains(baseName(cmd.get(0))) && cmd.get(1).equals("-c")) {
            line = String.join(" ", cmd.subList(2, cmd.size()));
        }
        Matcher m = SLEEP.matcher(line.strip());
        if (m.matches()) {
            BigDecimal n = new BigDecimal(m.group(1));
            long factor = switch (m.group(2)) {
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                default -> 1_000;
            };
            return new PreStop(PreStopKind.SLEEP, n.multiply(BigDecimal.valueOf(factor)).longValue(), shown);
        }
        boolean client = cmd.stream().anyMatch(t -> t.contains("curl") || t.contains("wget"));
        if (client && line.contains(DRAIN_PATH) && !line.contains("sleep")) {
            return drain(shown);
        }
        return new PreStop(PreStopKind.UNKNOWN, 0, shown);
    }

    private PreStop drain(String what) {
        return new PreStop(PreStopKind.DRAIN, ms(Setting.PRE_DRAIN) + ms(Setting.STOP_ACCEPTING) + ms(Setting.GRACE),
                what);
    }

    // ---- timeline and budgets ----------------------------------------------------------------------------

    private static final Setting[] PHASES = {Setting.PRE_DRAIN, Setting.STOP_ACCEPTING, Setting.GRACE,
            Setting.CANCEL_GRACE, Setting.PERSIST, Setting.CLEANUP};

    private long phasesMs() {
        long sum = 0;
        for (Setting s : PHASES) {
            sum += ms(s);
        }
        return sum;
    }

    /** The preStop time before Quiesce's sequence starts (a drain preStop starts it). */
    private static long beforeTrigger(PreStop p) {
        return p.kind() == PreStopKind.SLEEP ? p.ms() : 0;
    }

    private void printTimeline(PreStop preStop) {
        out.line(row("step", "length", "ends at", "from"));
        long t = 0;
        boolean drain = preStop.kind() == PreStopKind.DRAIN;
        switch (preStop.kind()) {
            case NONE -> out.line(row("preStop", seconds(0), seconds(0), preStop.description()));
            case SLEEP -> out.line(row("preStop", seconds(preStop.ms()), seconds(preStop.ms()), preStop.description()));
            case UNKNOWN -> out.line(row("preStop", "?", "?",
                    preStop.description() + " (unknown length, counted as 0)"));
            case DRAIN -> out.line(row("preStop: drain", seconds(preStop.ms()), seconds(preStop.ms()),
                    preStop.description() + ": pre-drain, stop accepting and grace run in preStop"));
        }
        if (!drain) {
            t = beforeTrigger(preStop);
            out.line(row("SIGTERM", "", seconds(t), ""));
        }
        for (Setting s : PHASES) {
            if (drain && s == Setting.CANCEL_GRACE) {
                out.line(row("SIGTERM", "", seconds(t), ""));
            }
            t += ms(s);
            boolean inPreStop = drain && (s == Setting.PRE_DRAIN || s == Setting.STOP_ACCEPTING || s == Setting.GRACE);
            out.line(row((inPreStop ? "  " : "") + s.label,
                    seconds(ms(s)), seconds(t), values.get(s).from()));
        }
        t += ms(Setting.MARGIN);
        out.line(row(Setting.MARGIN.label, seconds(ms(Setting.MARGIN)), seconds(t), values.get(Setting.MARGIN).from()));
        long limit = gracePeriodSeconds * 1000;
        boolean unknown = preStop.kind() == PreStopKind.UNKNOWN;
        String verdict = t <= limit ? seconds(limit - t) + " to spare" : "over by " + (unknown ? "at least " : "")
                + seconds(t - limit);
        out.line(row("total", seconds(t), "", (unknown ? "at least (the preStop's length is unknown); " : "")
                + "terminationGracePeriodSeconds " + gracePeriodSeconds + " s (" + gracePeriodFrom + "): " + verdict));
        Value budget = values.get(Setting.BUDGET);
        long left = budget.ms() - ms(Setting.MARGIN);
        out.line(row(Setting.BUDGET.label, seconds(budget.ms()), "", budget.from() + "; Quiesce's own check: phases "
                + seconds(phasesMs()) + (phasesMs() <= left ? " <= " : " > ") + "budget - margin " + seconds(left)));
    }

    private void checkBudgets(PreStop preStop) {
        if (preStop.kind() == PreStopKind.UNKNOWN) {
            out.warning("preStop " + preStop.description() + " has an unknown length: it is counted as 0 s, and the "
                    + "kubelet counts it inside terminationGracePeriodSeconds; check it by hand, or use "
                    + "'sleep: {seconds: N}' / exec 'sleep N', which the checker reads");
        }
        if (preStop.kind() == PreStopKind.SLEEP && ms(Setting.PRE_DRAIN) > 0) {
            out.note("preStop sleeps " + seconds(preStop.ms()) + " and the pre-drain delay is "
                    + seconds(ms(Setting.PRE_DRAIN)) + ": both wait for the endpoint propagation, and the kubelet counts "
                    + "preStop inside terminationGracePeriodSeconds, so the wait is spent twice (docs/kubernetes.md)");
        }
        long limit = gracePeriodSeconds * 1000;
        long before = beforeTrigger(preStop);
        long margin = ms(Setting.MARGIN);
        long phases = phasesMs();
        long total = before + phases + margin;
        if (total > limit) {
            long over = total - limit;
            StringBuilder sum = new StringBuilder();
            if (before > 0) {
                sum.append("preStop ").append(seconds(before)).append(" + ");
            }
            for (Setting s : PHASES) {
                sum.append(s.label).append(' ').append(seconds(ms(s))).append(" + ");
            }
            sum.append("margin ").append(seconds(margin));
            String shorten = shortening(preStop, over);
            Value budget = values.get(Setting.BUDGET);
            boolean tied = budget.ms() == limit - before;
            out.problem("over budget by " + seconds(over) + ": " + sum + " = " + seconds(total)
                    + ", more than terminationGracePeriodSeconds " + gracePeriodSeconds + " s"
                    + (tied && phases > budget.ms() - margin ? " (and Quiesce refuses to start: the phases do not fit "
                    + "its platform budget " + seconds(budget.ms()) + " minus the margin either)" : "")
                    + "; raise terminationGracePeriodSeconds to " + ceilSeconds(total)
                    + (tied ? " and the platform budget with it (" + howToSet(Setting.BUDGET) + ")" : "")
                    + (preStop.kind() == PreStopKind.SLEEP && ms(Setting.PRE_DRAIN) > 0
                            ? ", or drop the preStop sleep (the pre-drain delay already waits for the endpoints)" : "")
                    + ", or " + shorten);
        }
        Value budget = values.get(Setting.BUDGET);
        long budgetLimit = limit - before;
        if (budget.ms() > budgetLimit) {
            out.problem("the platform budget " + seconds(budget.ms()) + " (" + budget.from() + ")"
                    + (before > 0 ? " plus the preStop's " + seconds(before) : "") + " is more than "
                    + "terminationGracePeriodSeconds " + gracePeriodSeconds + " s: Quiesce's watchdog (platform budget "
                    + "minus half the margin after SIGTERM) would come after the kubelet's SIGKILL; set it to at most "
                    + seconds(Math.max(budgetLimit, 0)) + " with " + howToSet(Setting.BUDGET)
                    + (total > limit ? ", or raise terminationGracePeriodSeconds as above" : ""));
        }
        // budget == budgetLimit: the same rule as the first problem; budget > budgetLimit: the first problem fires
        if (phases > budget.ms() - margin && budget.ms() < budgetLimit) {
            out.problem("Quiesce refuses to start: its phases need " + seconds(phases) + " but the platform budget "
                    + seconds(budget.ms()) + " minus the margin " + seconds(margin) + " leaves "
                    + seconds(budget.ms() - margin) + "; raise the platform budget to " + seconds(budgetLimit)
                    + " (terminationGracePeriodSeconds" + (before > 0 ? " minus the preStop" : "") + ") with "
                    + howToSet(Setting.BUDGET) + (phases + margin > budgetLimit ? ", and shorten the phases" : ""));
        }
    }

    /** How to win {@code over} ms back by shortening: the longest step that can change, or all of them. */
    private String shortening(PreStop preStop, long over) {
        Setting longest = null;
        for (Setting s : PHASES) {
            if (changeable(s) && (longest == null || ms(s) > ms(longest))) {
                longest = s;
            }
        }
        String what;
        long length;
        if (preStop.kind() == PreStopKind.SLEEP && (longest == null || preStop.ms() >= ms(longest))) {
            what = "the preStop sleep (" + seconds(preStop.ms()) + ")";
            length = preStop.ms();
        } else if (longest == null) {
            return "shorten the phases by at least " + seconds(over);
        } else {
            what = longest.label + " (" + seconds(ms(longest)) + ", " + howToSet(longest) + ")";
            length = ms(longest);
        }
        return over < length ? "shorten " + what + " by at least " + seconds(over)
                : "shorten the steps by at least " + seconds(over) + " in all (the longest is " + what + ")";
    }

    // ---- probes -----------------------------------------------------------------------------------------

    private void checkProbes() {
        Optional<Probe> readiness = probe("readinessProbe");
        Optional<Probe> liveness = probe("livenessProbe");
        if (readiness.isEmpty()) {
            out.line("    readiness probe: none");
            out.problem("no readinessProbe: Kubernetes counts the pod ready from its start and load balancers that "
                    + "probe never see the drain; add readinessProbe: {httpGet: {path: /health/ready, port: ...}}");
        } else {
            Probe r = readiness.get();
            long window = r.windowMs();
            out.line("    readiness probe: " + r.describe() + " = " + seconds(window)
                    + (r.kind().equals("tcpSocket") ? "" : (window <= ms(Setting.PRE_DRAIN) ? " <= " : " > ")
                    + "pre-drain " + seconds(ms(Setting.PRE_DRAIN))));
            if (r.kind().equals("tcpSocket")) {
                out.warning("readinessProbe is a tcpSocket probe: it passes while the listener is open, so it never "
                        + "sees Quiesce's readiness 503 during the pre-drain; use httpGet on /health/ready");
            } else if (window > ms(Setting.PRE_DRAIN)) {
                out.problem("the pre-drain delay " + seconds(ms(Setting.PRE_DRAIN)) + " (" + values.get(Setting.PRE_DRAIN)
                        .from() + ") is shorter than the readiness probe's periodSeconds " + r.period()
                        + " x failureThreshold " + r.failures() + " = " + seconds(window) + ": a load balancer that "
                        + "probes still routes here when the listener closes; raise the pre-drain delay to at least "
                        + window + " ms (" + howToSet(Setting.PRE_DRAIN) + "), or lower periodSeconds / failureThreshold");
            }
        }
        if (liveness.isEmpty()) {
            out.line("    liveness probe: none");
        } else {
            Probe l = liveness.get();
            out.line("    liveness probe: " + l.describe());
            if (readiness.isPresent() && l.kind().equals("httpGet") && readiness.get().kind().equals("httpGet")
                    && l.path().equals(readiness.get().path()) && l.port().equals(readiness.get().port())) {
                out.problem("livenessProbe checks the readiness path " + l.path() + " on port " + l.port()
                        + ": readiness answers 503 as soon as the drain starts, and the kubelet kills a container "
                        + "whose liveness probe fails; point livenessProbe at /health/live (it stays 200 while "
                        + "draining)");
            }
        }
    }

    private Optional<Probe> probe(String key) {
        Node p = container.get(key);
        if (!p.present()) {
            return Optional.empty();
        }
        Optional<Long> period = p.get("periodSeconds").integer();
        Optional<Long> failures = p.get("failureThreshold").integer();
        String kind = "exec";
        String path = null;
        String port = null;
        for (String k : List.of("httpGet", "tcpSocket", "grpc", "exec")) {
            if (p.get(k).present()) {
                kind = k;
                break;
            }
        }
        if (!kind.equals("exec")) {
            Node action = p.get(kind);
            path = action.get("path").text().orElse("/");
            port = resolvePort(action.get("port").text().orElse("?"));
        }
        return Optional.of(new Probe(kind, path, port, period.orElse(PROBE_PERIOD_DEFAULT), period.isEmpty(),
                failures.orElse(PROBE_FAILURES_DEFAULT), failures.isEmpty()));
    }

    /** A named port ({@code http}) as its number, from the container's ports; as written when not found. */
    private String resolvePort(String port) {
        for (Node p : container.get("ports").list()) {
            if (p.get("name").text().orElse("").equals(port)) {
                return p.get("containerPort").text().orElse(port);
            }
        }
        return port;
    }

    // ---- formatting -------------------------------------------------------------------------------------

    private static String row(String step, String length, String endsAt, String from) {
        return String.format(Locale.ROOT, "    %-18s %7s %8s   %s", step, length, endsAt, from).stripTrailing();
    }

    static String seconds(long ms) {
        return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + " s";
    }

    private static long ceilSeconds(long ms) {
        return (ms + 999) / 1000;
    }

    private static String baseName(String command) {
        return command.substring(command.lastIndexOf('/') + 1);
    }
}
