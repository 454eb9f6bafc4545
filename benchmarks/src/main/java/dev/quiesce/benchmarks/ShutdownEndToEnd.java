package dev.quiesce.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Shutdown end-to-end: the time from SIGTERM to process exit of the demo service, measured from outside
 * the process, idle and with requests in flight, against JVMs without Quiesce started from the same jar
 * in the same run. Not JMH: every round drives fresh child JVMs.
 *
 * <p>Cases (each round runs every selected case once, in this order, each in a fresh JVM):
 * <ul>
 *   <li>{@code baseline}: {@code java -cp quiesce-demo.jar dev.quiesce.samples.DemoBaseline}, a main that only
 *       waits; SIGTERM ends it the JVM's default way (exit 143). The JVM's own exit cost.
 *   <li>{@code naive}: {@code java -jar quiesce-demo.jar serve --naive}: the same endpoints on a plain JDK
 *       {@code HttpServer}, no Quiesce; SIGTERM ends it the JVM's default way (exit 143).
 *   <li>{@code idle}: {@code java -jar quiesce-demo.jar serve ...} with no request in flight; expected exit 0.
 *   <li>{@code loaded}: the same with {@code --requests} {@code GET /work?ms=W} in flight at SIGTERM; every
 *       one must be answered 200, then exit 0.
 * </ul>
 *
 * <p>One round of a case: start the child; wait for its ready line ({@code listening on ...}, or the
 * baseline's {@code waiting ...}); for every case but {@code loaded}, wait until the child is idle (under 5 %
 * of one CPU over 500 ms, read from {@code /proc/PID/stat}; bounded by 10 s), which is the state a service is
 * in when a rolling update reaches it, not the first second of a JVM whose JIT still compiles its start-up
 * code on the same 2 CPUs; for {@code loaded}, open the requests (raw HTTP/1.1 on loopback sockets,
 * one virtual thread each, so no client connection pool limits them) and poll the service's own count
 * ({@code GET /state}: {@code slowInFlight}, the requests inside the handler) until all of them are in
 * flight; then take {@link System#nanoTime()} and send SIGTERM ({@link ProcessHandle#destroy()}, which is
 * {@code kill(pid, SIGTERM)} on Linux; {@link Process#destroy()} would also close the pipes the child's
 * shutdown output comes through); the exit time is taken when {@link Process#waitFor()} returns in a
 * thread that was already waiting (the reaper's event that also completes {@link Process#onExit()}). Every
 * wait is bounded; an unexpected exit code, a request not answered 200, or a bound reached makes the round
 * fail, and it is reported, not dropped.
 *
 * <p>Output: one JSON object per case and round on stdout (the timings, exit code, requests, the child's
 * own shutdown report, when its marker lines arrived, the load average); progress on stderr; with
 * {@code --log FILE}, every line of the children's output with its arrival time. Exit status 1 if any
 * round failed. Usage: {@code java -cp benchmarks.jar dev.quiesce.benchmarks.ShutdownEndToEnd --jar
 * samples/target/quiesce-demo.jar [options]}; {@code --help} lists the options ({@code --jvm-arg ARG} adds
 * a flag to every child JVM, e.g. {@code -Xlog:class+load} to see what a shutdown loads).
 */
public final class ShutdownEndToEnd {
    private static final Pattern LISTENING = Pattern.compile("listening on http://([0-9.]+):(\\d+)");
    private static final Pattern SLOW_IN_FLIGHT = Pattern.compile("\"slowInFlight\":(\\d+)");
    private static final String REPORT_JSON = "report json: ";
    private static final String BASELINE_MAIN = "dev.quiesce.samples.DemoBaseline";

    private ShutdownEndToEnd() {}

    /** The command-line settings. */
    private static final class Options {
        Path jar;
        String jarLabel;
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cases = List.of("baseline", "naive", "idle", "loaded");
        int rounds = 3;
        int requests = 1000;
        long workMs = 2000;
        long preDrainMs;
        long graceMs = 10_000;
        long cancelGraceMs = 1000;
        long budgetMs = 30_000;
        long boundMs = 60_000;
        long quietWindowMs = 500;
        double quietCpu = 0.05;
        long quietBoundMs = 10_000;
        List<String> jvmArgs = new ArrayList<>();
        Path log;

        static Options parse(String[] args) {
            var o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                if (v == null && !a.equals("--help")) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                switch (a) {
                    case "--jar" -> o.jar = Path.of(v);
                    case "--jar-label" -> o.jarLabel = v;
                    case "--java" -> o.java = Path.of(v);
                    case "--cases" -> o.cases = List.of(v.split(","));
                    case "--rounds" -> o.rounds = Integer.parseInt(v);
                    case "--requests" -> o.requests = Integer.parseInt(v);
                    case "--work-ms" -> o.workMs = Long.parseLong(v);
                    case "--pre-drain-ms" -> o.preDrainMs = Long.parseLong(v);
                    case "--grace-ms" -> o.graceMs = Long.parseLong(v);
                    case "--cancel-grace-ms" -> o.cancelGraceMs = Long.parseLong(v);
                    case "--budget-ms" -> o.budgetMs = Long.parseLong(v);
                    case "--bound-ms" -> o.boundMs = Long.parseLong(v);
                    case "--quiet-window-ms" -> o.quietWindowMs = Long.parseLong(v);
                    case "--quiet-bound-ms" -> o.quietBoundMs = Long.parseLong(v);
                    case "--jvm-arg" -> o.jvmArgs.add(v);
                    case "--log" -> o.log = Path.of(v);
                    case "--help" -> throw new IllegalArgumentException("help");
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
                i++;
            }
            if (o.jar == null || !Files.isRegularFile(o.jar)) {
                throw new IllegalArgumentException("--jar must name the demo jar (samples/target/quiesce-demo.jar), was "
                        + o.jar);
            }
            for (String c : o.cases) {
                if (!List.of("baseline", "naive", "idle", "loaded").contains(c)) {
                    throw new IllegalArgumentException("unknown case " + c + ": use baseline, naive, idle, loaded");
                }
            }
            if (o.workMs < 1000) {
                throw new IllegalArgumentException("--work-ms must be at least 1000: the service counts requests of "
                        + "1 s or more in /state's slowInFlight, which is how the launcher knows they are in flight");
            }
            if (o.workMs >= o.graceMs) {
                throw new IllegalArgumentException("--work-ms must be shorter than --grace-ms, or requests are cancelled");
            }
            return o;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println((e.getMessage().equals("help") ? "" : e.getMessage() + "\n") + "usage: ShutdownEndToEnd"
                    + " --jar quiesce-demo.jar [--cases baseline,naive,idle,loaded] [--rounds 3] [--requests 1000]"
                    + " [--work-ms 2000] [--pre-drain-ms 0] [--grace-ms 10000] [--cancel-grace-ms 1000]"
                    + " [--budget-ms 30000] [--bound-ms 60000] [--quiet-window-ms 500] [--quiet-bound-ms 10000]"
                    + " [--jvm-arg ARG]... [--log FILE] [--java PATH] [--jar-label TEXT]");
            System.exit(2);
            return;
        }
        int failed = 0;
        for (int round = 1; round <= o.rounds; round++) {
            for (String c : o.cases) {
                Map<String, Object> r = new Round(o, c, round).run();
                System.out.println(Json.write(r));
                System.out.flush();
                System.err.printf(Locale.ROOT, "shutdown %-8s round %d: %s%n", c, round, r.get("summary"));
                if (!Boolean.TRUE.equals(r.get("ok"))) {
                    failed++;
                }
            }
        }
        if (failed > 0) {
            System.err.println("FAIL: " + failed + " shutdown round(s) failed (see the \"problems\" of each)");
            System.exit(1);
        }
    }

    /** One case in one fresh JVM. */
    private static final class Round {
        private final Options o;
        private final String kase;
        private final int round;
        private final List<String> problems = new ArrayList<>();
        private final Map<String, Object> out = new LinkedHashMap<>();

        Round(Options o, String kase, int round) {
            this.o = o;
            this.kase = kase;
            this.round = round;
        }

        private boolean quiesce() {
            return kase.equals("idle") || kase.equals("loaded");
        }

        private List<String> command(Path stateFile) {
            List<String> cmd = new ArrayList<>();
            cmd.add(o.java.toString());
            cmd.addAll(o.jvmArgs);
            if (kase.equals("baseline")) {
                cmd.addAll(List.of("-cp", o.jar.toString(), BASELINE_MAIN));
                return cmd;
            }
            cmd.addAll(List.of("-jar", o.jar.toString(), "serve", "--host", "127.0.0.1", "--port", "0"));
            if (kase.equals("naive")) {
                cmd.add("--naive");
                return cmd;
            }
            cmd.addAll(List.of("--state", stateFile.toString(), "--pre-drain-ms", Long.toString(o.preDrainMs),
                    "--grace-ms", Long.toString(o.graceMs), "--cancel-grace-ms", Long.toString(o.cancelGraceMs),
                    "--budget-ms", Long.toString(o.budgetMs)));
            return cmd;
        }

        Map<String, Object> run() throws IOException, InterruptedException {
            Path dir = Files.createTempDirectory("quiesce-e2e");
            List<String> cmd = command(dir.resolve("state.json"));
            int expectedExit = quiesce() ? 0 : 143;
            long delaysMs = quiesce() ? o.preDrainMs : 0;
            out.put("bench", "shutdown");
            out.put("case", kase);
            out.put("round", round);
            out.put("ok", false);
            out.put("problems", problems);
            String shown = String.join(" ", cmd).replace(dir.toString(), "$TMP").replace(o.java.toString(), "java");
            out.put("command", o.jarLabel == null ? shown : shown.replace(o.jar.toString(), o.jarLabel));
            out.put("expectedExitCode", expectedExit);
            out.put("configuredDelaysMs", delaysMs);
            if (quiesce()) {
                var settings = new LinkedHashMap<String, Object>();
                settings.put("preDrainMs", o.preDrainMs);
                settings.put("graceMs", o.graceMs);
                settings.put("cancelGraceMs", o.cancelGraceMs);
                settings.put("budgetMs", o.budgetMs);
                if (kase.equals("loaded")) {
                    settings.put("requests", o.requests);
                    settings.put("workMs", o.workMs);
                }
                out.put("settings", settings);
            }
            out.put("jdk", Runtime.version().toString());

            long started = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            var output = new ChildOutput(p.getInputStream(), kase.equals("baseline") ? "waiting (baseline" : "listening on");
            var exitedAt = new AtomicLong();
            var exited = new CountDownLatch(1);
            Thread.ofPlatform().daemon(true).name("e2e-exit-" + p.pid()).start(() -> {
                for (;;) {
                    try {
                        p.waitFor();
                        break;
                    } catch (InterruptedException e) {
                        // keep waiting: this thread's only job is to time the exit
                    }
                }
                exitedAt.set(System.nanoTime());
                exited.countDown();
            });
            Client client = null;
            long sigterm = 0;
            try {
                if (!output.ready.await(o.boundMs, TimeUnit.MILLISECONDS) || output.readyLine == null) {
                    problems.add("no ready line within " + o.boundMs + " ms" + (p.isAlive() ? "" : " (exited with "
                            + p.exitValue() + ")"));
                    return finish(p, output, dir, 0, exitedAt, exited, null, started);
                }
                out.put("startToReadyMs", ms(output.readyAt - started));
                if (!kase.equals("loaded")) {
                    // An idle service is signalled once it is idle: not while its JIT still compiles the
                    // start-up code, which on 2 CPUs competes with the shutdown for the processors.
                    Quiet q = awaitQuiet(p.pid(), o.quietWindowMs, o.quietCpu, o.quietBoundMs);
                    out.put("quiet", q.asMap());
                    if (!q.quiet()) {
                        problems.add("the child did not become idle (under " + Math.round(o.quietCpu * 100) + " % of a CPU over "
                                + o.quietWindowMs + " ms) within " + o.quietBoundMs + " ms: " + q.asMap());
                    }
                }
                if (kase.equals("loaded")) {
                    Matcher m = LISTENING.matcher(output.readyLine);
                    if (!m.find()) {
                        problems.add("cannot parse the port from: " + output.readyLine);
                        return finish(p, output, dir, 0, exitedAt, exited, null, started);
                    }
                    var address = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
                    client = new Client(address, o.requests, o.workMs, o.boundMs);
                    long openAt = System.nanoTime();
                    client.start();
                    long seen = client.awaitInFlight();
                    out.put("inFlightAtSigterm", seen);
                    out.put("loadSetupMs", ms(System.nanoTime() - openAt));
                    if (seen < o.requests) {
                        problems.add("only " + seen + " of " + o.requests + " requests in flight (GET /state) within "
                                + o.boundMs + " ms; " + client.describeFailures());
                        return finish(p, output, dir, 0, exitedAt, exited, client, started);
                    }
                }
                out.put("loadAverage", loadAverage());
                output.markSignal();
                sigterm = System.nanoTime();
                // SIGTERM: kill(pid, SIGTERM). Not Process.destroy(), which also closes the pipes the child's
                // shutdown output still comes through.
                p.toHandle().destroy();
                return finish(p, output, dir, sigterm, exitedAt, exited, client, started);
            } finally {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
                if (client != null) {
                    client.abort();
                }
            }
        }

        private Map<String, Object> finish(Process p, ChildOutput output, Path dir, long sigterm, AtomicLong exitedAt,
                CountDownLatch exited, Client client, long started) throws InterruptedException, IOException {
            if (sigterm == 0) { // set-up failed: no measurement
                p.destroyForcibly();
            }
            long bound = sigterm == 0 ? 10_000 : o.budgetMs + 10_000;
            if (!exited.await(bound, TimeUnit.MILLISECONDS)) {
                problems.add("still running " + bound + " ms after SIGTERM; killed");
                p.destroyForcibly();
                exited.await(10, TimeUnit.SECONDS);
            }
            output.finished.await(10, TimeUnit.SECONDS);
            if (sigterm != 0 && exitedAt.get() != 0) {
                int code = p.exitValue();
                out.put("exitCode", code);
                if (code != (int) out.get("expectedExitCode")) {
                    problems.add("exit code " + code + ", expected " + out.get("expectedExitCode"));
                }
                double total = ms(exitedAt.get() - sigterm);
                out.put("sigtermAfterStartMs", ms(sigterm - started)); // to line up with the child's -Xlog uptime
                out.put("sigtermToExitMs", total);
                out.put("beyondDelaysMs", round1(total - (long) out.get("configuredDelaysMs")));
                var marks = new LinkedHashMap<String, Object>();
                output.mark(marks, "triggerLine", "[shutdown] TRIGGER ...", sigterm);
                output.mark(marks, "reportLine", "shutdown report:", sigterm);
                output.mark(marks, "exitLine", "[shutdown] EXIT", sigterm);
                output.mark(marks, "lastLine", null, sigterm);
                out.put("childLinesMs", marks);
                out.put("report", output.reportJson == null ? null : new Json.Raw(output.reportJson));
            } else if (sigterm != 0) {
                out.put("exitCode", null);
            }
            if (client != null) {
                client.awaitDone(o.boundMs);
                client.summarize(out, sigterm, exitedAt.get(), problems);
            }
            if (quiesce() && sigterm != 0 && output.reportJson == null) {
                problems.add("no shutdown report in the child's output");
            }
            out.put("ok", problems.isEmpty());
            out.put("summary", summary());
            if (o.log != null) {
                output.appendLog(o.log, "== " + kase + " round " + round + ": " + out.get("command") + "\n== "
                        + summary(), sigterm == 0 ? started : sigterm);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            return out;
        }

        private String summary() {
            var sb = new StringBuilder();
            if (out.get("sigtermToExitMs") != null) {
                sb.append(String.format(Locale.ROOT, "SIGTERM->exit %.1f ms (beyond delays %.1f), exit %s",
                        out.get("sigtermToExitMs"), out.get("beyondDelaysMs"), out.get("exitCode")));
            }
            if (out.get("sigtermToLastResponseMs") != null) {
                sb.append(String.format(Locale.ROOT, "; SIGTERM->last response %.1f ms, exit-last response %.1f ms;"
                        + " %s/%s answered 200", out.get("sigtermToLastResponseMs"), out.get("exitMinusLastResponseMs"),
                        out.get("responses200"), out.get("requests")));
            }
            if (out.get("startToReadyMs") != null) {
                sb.append(String.format(Locale.ROOT, "; start->ready %.0f ms", out.get("startToReadyMs")));
            }
            if (!problems.isEmpty()) {
                sb.append("; FAILED: ").append(String.join("; ", problems));
            }
            return sb.toString();
        }
    }

    /**
     * How the wait for an idle child went: whether it became idle, after how long, and the CPU it used over
     * the last window (a fraction of one CPU).
     */
    private record Quiet(boolean quiet, long waitedMs, double cpuInWindow, boolean measurable) {
        Map<String, Object> asMap() {
            var m = new LinkedHashMap<String, Object>();
            m.put("quiet", quiet);
            m.put("measurable", measurable);
            m.put("waitedMs", waitedMs);
            m.put("cpuInLastWindow", Math.round(cpuInWindow * 1000) / 1000.0);
            return m;
        }
    }

    /**
     * Polls the child's CPU time ({@code /proc/PID/stat}, user + system, in clock ticks of 10 ms) until it
     * used less than {@code maxCpu} of one CPU over the last {@code windowMs}, bounded by {@code boundMs}.
     * Without {@code /proc} it does not wait and says so.
     */
    static Quiet awaitQuiet(long pid, long windowMs, double maxCpu, long boundMs) throws InterruptedException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        long start = System.nanoTime();
        record Sample(long at, long ticks) {}
        List<Sample> samples = new ArrayList<>();
        long window = TimeUnit.MILLISECONDS.toNanos(windowMs);
        double cpu = Double.NaN;
        for (;;) {
            long ticks = cpuTicks(stat);
            long now = System.nanoTime();
            if (ticks < 0) {
                return new Quiet(true, 0, Double.NaN, false);
            }
            samples.add(new Sample(now, ticks));
            while (samples.size() > 1 && now - samples.get(1).at() >= window) {
                samples.removeFirst(); // keep the newest sample that is at least a window old
            }
            Sample first = samples.getFirst();
            long span = now - first.at();
            if (span >= window) {
                cpu = (ticks - first.ticks()) * 10e6 / span; // a tick is 10 ms of CPU time
                if (cpu < maxCpu) {
                    return new Quiet(true, (now - start) / 1_000_000, cpu, true);
                }
            }
            if (now - start > TimeUnit.MILLISECONDS.toNanos(boundMs)) {
                return new Quiet(false, (now - start) / 1_000_000, cpu, true);
            }
            Thread.sleep(20); // the sampling interval of an observed quantity, bounded above
        }
    }

    /** The 1-minute load average at the signal (/proc/loadavg): the machine is shared; this says how busy it was. */
    private static Object loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long cpuTicks(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The child's merged stdout/stderr, each line timed when it arrives. */
    private static final class ChildOutput {
        private record Line(long at, String text) {}

        final CountDownLatch ready = new CountDownLatch(1);
        final CountDownLatch finished = new CountDownLatch(1);
        final List<Line> lines = new CopyOnWriteArrayList<>();
        volatile String readyLine;
        volatile long readyAt;
        volatile String reportJson;
        private volatile int signalIndex = -1;

        ChildOutput(InputStream in, String readyPrefix) {
            Thread.ofPlatform().daemon(true).name("e2e-output").start(() -> {
                try (var r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        long now = System.nanoTime();
                        lines.add(new Line(now, l));
                        if (readyLine == null && l.startsWith(readyPrefix)) {
                            readyAt = now;
                            readyLine = l;
                            ready.countDown();
                        }
                        if (l.startsWith(REPORT_JSON)) {
                            reportJson = l.substring(REPORT_JSON.length());
                        }
                    }
                } catch (IOException e) {
                    // the child is gone
                } finally {
                    ready.countDown();
                    finished.countDown();
                }
            });
        }

        void markSignal() {
            signalIndex = lines.size();
        }

        /** Puts the arrival time (ms after SIGTERM) of the first line after the signal starting with prefix. */
        void mark(Map<String, Object> marks, String name, String prefix, long sigterm) {
            List<Line> after = lines.subList(Math.max(0, signalIndex), lines.size());
            if (prefix == null) {
                if (!after.isEmpty()) {
                    marks.put(name, ms(after.getLast().at() - sigterm));
                }
                return;
            }
            for (Line l : after) {
                if (l.text().startsWith(prefix)) {
                    marks.put(name, ms(l.at() - sigterm));
                    return;
                }
            }
        }

        void appendLog(Path log, String header, long zero) throws IOException {
            var sb = new StringBuilder(header).append('\n');
            for (Line l : lines) {
                if (!l.text().startsWith(REPORT_JSON)) { // the report is in the JSON result already
                    sb.append(String.format(Locale.ROOT, "%+10.1f ms  %s%n", (l.at() - zero) / 1e6, l.text()));
                }
            }
            Files.writeString(log, sb, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    /**
     * The load: {@code n} requests {@code GET /work?ms=W}, each on its own connection from its own virtual
     * thread (raw HTTP/1.1, {@code Connection: close}), each read to the end of its body and timed.
     */
    private static final class Client {
        private record Outcome(int status, long doneAt, String error) {}

        private final InetSocketAddress address;
        private final int n;
        private final long workMs;
        private final long boundMs;
        private final List<Thread> threads = new ArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Outcome[] outcomes;

        Client(InetSocketAddress address, int n, long workMs, long boundMs) {
            this.address = address;
            this.n = n;
            this.workMs = workMs;
            this.boundMs = boundMs;
            this.outcomes = new Outcome[n];
        }

        void start() {
            byte[] request = ("GET /work?ms=" + workMs + " HTTP/1.1\r\nHost: " + address.getHostString() + ":"
                    + address.getPort() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < n; i++) {
                int id = i;
                threads.add(Thread.ofVirtual().name("e2e-req-" + i).start(() -> {
                    Outcome result;
                    try (var s = new Socket()) {
                        sockets.add(s);
                        s.connect(address, (int) boundMs);
                        s.setSoTimeout((int) boundMs);
                        s.getOutputStream().write(request);
                        s.getOutputStream().flush();
                        int status = readResponse(s.getInputStream());
                        result = new Outcome(status, System.nanoTime(), null);
                    } catch (IOException | RuntimeException e) {
                        result = new Outcome(-1, System.nanoTime(), e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                    synchronized (outcomes) {
                        outcomes[id] = result;
                    }
                }));
            }
        }

        /** Polls GET /state until every request is inside the handler; returns the last count seen. */
        long awaitInFlight() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
            long seen = -1;
            while (System.nanoTime() < deadline) {
                try {
                    String body = get(address, "/state", (int) boundMs);
                    Matcher m = SLOW_IN_FLIGHT.matcher(body);
                    if (m.find()) {
                        seen = Long.parseLong(m.group(1));
                        if (seen >= n) {
                            return seen;
                        }
                    }
                } catch (IOException e) {
                    // the service is still busy accepting; poll again
                }
                if (finishedCount() > 0) {
                    return seen; // a request already ended (failed or answered): not all n can be in flight
                }
                Thread.sleep(5); // the poll interval of an observed count, bounded by the deadline
            }
            return seen;
        }

        private int finishedCount() {
            synchronized (outcomes) {
                int c = 0;
                for (Outcome x : outcomes) {
                    c += x == null ? 0 : 1;
                }
                return c;
            }
        }

        String describeFailures() {
            Map<String, Integer> byError = new TreeMap<>();
            synchronized (outcomes) {
                for (Outcome x : outcomes) {
                    if (x != null) {
                        byError.merge(x.error() != null ? x.error() : "status " + x.status(), 1, Integer::sum);
                    }
                }
            }
            return byError.isEmpty() ? "none ended yet" : "ended early: " + byError;
        }

        void awaitDone(long bound) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
            for (Thread t : threads) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !t.join(java.time.Duration.ofNanos(left))) {
                    break;
                }
            }
        }

        void abort() {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing to unblock
                }
            }
        }

        void summarize(Map<String, Object> out, long sigterm, long exitedAt, List<String> problems) {
            int ok = 0;
            int before = 0;
            long last = 0;
            Map<String, Integer> failures = new TreeMap<>();
            synchronized (outcomes) {
                for (Outcome x : outcomes) {
                    if (x == null) {
                        failures.merge("no response (still waiting at the bound)", 1, Integer::sum);
                        continue;
                    }
                    if (x.status() == 200) {
                        ok++;
                    } else {
                        failures.merge(x.error() != null ? x.error() : "status " + x.status(), 1, Integer::sum);
                    }
                    last = Math.max(last, x.doneAt());
                    if (sigterm != 0 && x.doneAt() < sigterm) {
                        before++;
                    }
                }
            }
            out.put("requests", n);
            out.put("responses200", ok);
            out.put("failedRequests", n - ok);
            out.put("failures", failures);
            out.put("completedBeforeSigterm", before);
            if (n - ok > 0) {
                problems.add((n - ok) + " of " + n + " requests not answered 200: " + failures);
            }
            if (sigterm != 0 && last != 0) {
                out.put("sigtermToLastResponseMs", ms(last - sigterm));
                if (exitedAt != 0) {
                    out.put("exitMinusLastResponseMs", ms(exitedAt - last));
                }
            }
        }

        /** Reads a whole HTTP/1.1 response (status line, headers, Content-Length body); returns the status. */
        private static int readResponse(InputStream raw) throws IOException {
            var in = new BufferedInputStream(raw);
            String status = line(in);
            if (status == null || !status.startsWith("HTTP/1.1 ")) {
                throw new IOException("no HTTP status line: " + status);
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            for (String h; (h = line(in)) != null && !h.isEmpty(); ) {
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    length = Long.parseLong(h.substring(colon + 1).trim());
                }
            }
            if (length >= 0) {
                for (long left = length; left > 0; ) {
                    long skipped = in.skip(left);
                    if (skipped <= 0) {
                        if (in.read() < 0) {
                            throw new IOException("connection closed " + left + " bytes before the end of the body");
                        }
                        skipped = 1;
                    }
                    left -= skipped;
                }
            } else {
                while (in.read() >= 0) {
                    // no length: the body ends with the connection
                }
            }
            return code;
        }

        private static String line(InputStream in) throws IOException {
            var sb = new StringBuilder();
            for (int c; (c = in.read()) >= 0; ) {
                if (c == '\n') {
                    int len = sb.length();
                    return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
                }
                sb.append((char) c);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        /** A small GET on a fresh connection; returns the body. */
        static String get(InetSocketAddress address, String path, int timeoutMs) throws IOException {
            try (var s = new Socket()) {
                s.connect(address, timeoutMs);
                s.setSoTimeout(timeoutMs);
                OutputStream os = s.getOutputStream();
                os.write(("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + "\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                os.flush();
                String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int body = all.indexOf("\r\n\r\n");
                if (!all.startsWith("HTTP/1.1 200") || body < 0) {
                    throw new IOException("GET " + path + ": " + all.lines().findFirst().orElse("(empty)"));
                }
                return all.substring(body + 4);
            }
        }
    }

    private static double ms(long nanos) {
        return round1(nanos / 1e6);
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Just enough JSON output for the result lines (strings, numbers, booleans, null, lists, maps, raw JSON). */
    static final class Json {
        private Json() {}

        /** Already-serialised JSON, embedded as is (the child's report). */
        record Raw(String json) {}

        static String write(Object v) {
            var sb = new StringBuilder();
            write(sb, v);
            return sb.toString();
        }

        private static void write(StringBuilder sb, Object v) {
            switch (v) {
                case null -> sb.append("null");
                case Raw r -> sb.append(r.json());
                case String s -> quote(sb, s);
                case Double d -> sb.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.1f", d));
                case Number num -> sb.append(num);
                case Boolean b -> sb.append(b);
                case Map<?, ?> m -> {
                    sb.append('{');
                    boolean first = true;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        sb.append(first ? "" : ",");
                        quote(sb, String.valueOf(e.getKey()));
                        sb.append(':');
                        write(sb, e.getValue());
                        first = false;
                    }
                    sb.append('}');
                }
                case List<?> l -> {
                    sb.append('[');
                    for (int i = 0; i < l.size(); i++) {
                        sb.append(i == 0 ? "" : ",");
                        write(sb, l.get(i));
                    }
                    sb.append(']');
                }
                default -> quote(sb, v.toString());
            }
        }

        private static void quote(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
