package dev.quiesce.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker's rules and its handling of bad input, on small manifests given inline. */
class CheckTest {
    /** A demo Deployment; {@code %s} is replaced by extra container lines (indented 10 spaces). */
    private static String demo(String tgps, String args, String extra) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  template:
                    spec:
                %s      containers:
                        - name: demo
                          command: ["java", "-jar", "/app/quiesce-demo.jar", "serve"%s]
                          readinessProbe:
                            httpGet: {path: /health/ready, port: 8080}
                            periodSeconds: 1
                            failureThreshold: 1
                %s""".formatted(tgps.isEmpty() ? "" : "      terminationGracePeriodSeconds: " + tgps + "\n", args, extra);
    }

    private static String app(String env, String extra) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: a}
                spec:
                  template:
                    spec:
                      containers:
                        - name: app
                          env: [%s]
                          readinessProbe:
                            httpGet: {path: /health/ready, port: 8080}
                            periodSeconds: 1
                            failureThreshold: 1
                %s""".formatted(env, extra);
    }

    @Test
    void flags_winOverTheManifest() {
        CheckRun run = CheckRun.of(CheckRun.FIXTURES, "over-budget.yaml", "--grace-ms", "7000", "--pre-drain-ms=4000");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("grace                  7 s     12 s   flag --grace-ms")
                .contains("pre-drain              4 s      4 s   flag --pre-drain-ms")
                .contains("cancel grace           1 s     13 s   manifest args --cancel-grace-ms 1000");
    }

    @Test
    void args_winOverEnv_andEnvOverDefaults() {
        CheckRun run = CheckRun.ofYaml(demo("", ", \"--grace-ms\", \"9000\"",
                "          env: [{name: QUIESCE_GRACE_MS, value: \"1000\"}, {name: QUIESCE_PERSIST_MS, value: \"3000\"}]\n"));

        assertThat(run.out()).contains("manifest args --grace-ms 9000").contains("env QUIESCE_PERSIST_MS=3000")
                .contains("default: the demo's --pre-drain-ms").contains("default: Shutdown.Builder");
        assertThat(run.exit()).as(run.out()).isZero();
    }

    @Test
    void shutdownBuilderDefaults_applyToAContainerThatIsNotTheDemo() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}", ""));

        // 1 + 1 + 15 + 2 + 4 + 4 + 2 = 29 s of the default 30 s
        assertThat(run.out()).contains("total                 29 s            terminationGracePeriodSeconds 30 s "
                + "(Kubernetes' default): 1 s to spare");
        assertThat(run.exit()).as(run.out()).isZero();
    }

    @Test
    void platformBudgetBelowTheGracePeriod_isRefusedByQuiesceAtStart() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}, "
                + "{name: QUIESCE_BUDGET_MS, value: \"20000\"}", ""));

        assertThat(run.problems()).singleElement().asString()
                .startsWith("Quiesce refuses to start: its phases need 27 s but the platform budget 20 s minus the margin")
                .contains("raise the platform budget to 30 s");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void platformBudgetAboveTheGracePeriod_isAProblem() {
        CheckRun run = CheckRun.ofYaml(demo("60", ", \"--budget-ms\", \"90000\"", ""));

        assertThat(run.problems()).singleElement().asString()
                .startsWith("the platform budget 90 s (manifest args --budget-ms 90000) is more than "
                        + "terminationGracePeriodSeconds 60 s")
                .contains("set it to at most 60 s with --budget-ms in the container's args");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void overBudget_namesTheLongestPhaseAndHowToSetIt() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_GRACE_MS, value: \"25000\"}, "
                + "{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}", ""));

        assertThat(run.problems()).singleElement().asString().startsWith("over budget by 9 s")
                .contains("raise terminationGracePeriodSeconds to 39 and the platform budget with it "
                        + "(Shutdown.Builder.platformBudget(...) or env QUIESCE_BUDGET_MS)")
                .contains("or shorten grace (25 s, env QUIESCE_GRACE_MS) by at least 9 s");
    }

    @Test
    void preStopDrainOverHttpGet_runsTheDrainInPreStop() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}",
                "          lifecycle: {preStop: {httpGet: {path: /quiesce/drain, port: 8080}}}\n"));

        assertThat(run.out()).contains("preStop: drain        17 s     17 s   httpGet /quiesce/drain port 8080: pre-drain, "
                + "stop accepting and grace run in preStop").contains("SIGTERM                        17 s");
        assertThat(run.exit()).as(run.out()).isZero();
    }

    @Test
    void preStopSleep_inMinutesAndThroughAShell() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"0\"}",
                "          lifecycle: {preStop: {exec: {command: [bash, -c, \"exec sleep 1m\"]}}}\n"));

        assertThat(run.out()).contains("preStop               60 s     60 s   exec bash -c exec sleep 1m");
        assertThat(run.problems()).first().asString().startsWith("over budget by 58 s")
                .contains("shorten the preStop sleep (60 s)");
    }

    @Test
    void tcpSocketReadiness_isAWarning() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}", "")
                .replace("httpGet: {path: /health/ready, port: 8080}", "tcpSocket: {port: 8080}"));

        assertThat(run.warnings()).singleElement().asString().startsWith("readinessProbe is a tcpSocket probe");
        assertThat(run.exit()).isZero();
    }

    @Test
    void badValueInTheDemosArgs_isAProblem() {
        CheckRun run = CheckRun.ofYaml(demo("", ", \"--grace-ms\", \"15s\"", ""));

        assertThat(run.problems()).singleElement().asString()
                .startsWith("--grace-ms in the container's args takes a whole number of milliseconds, was '15s'");
        assertThat(run.out()).contains("default: the demo's --grace-ms");
        assertThat(run.exit()).isEqualTo(1);
    }

    @Test
    void demoOptionWithoutValue_isAProblem() {
        CheckRun run = CheckRun.ofYaml(demo("", ", \"--pre-drain-ms\"", ""));

        assertThat(run.problems()).singleElement().asString()
                .startsWith("--pre-drain-ms in the container's args needs a value");
    }

    @Test
    void zeroGraceInEnv_isAProblem() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_GRACE_MS, value: \"0\"}, "
                + "{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}", ""));

        assertThat(run.problems()).singleElement().asString()
                .startsWith("env QUIESCE_GRACE_MS is 0: Shutdown.Builder refuses a grace that is zero");
    }

    @Test
    void envFromValueFrom_andUnknownQuiesceVariable_areWarnings() {
        CheckRun run = CheckRun.ofYaml(app("{name: QUIESCE_PRE_DRAIN_MS, value: \"1000\"}, "
                + "{name: QUIESCE_GRACE_MS, valueFrom: {configMapKeyRef: {name: c, key: grace}}}, "
                + "{name: QUIESCE_GRACE, value: \"5000\"}", ""));

        assertThat(run.warnings()).satisfiesExactly(
                w -> assertThat(w).startsWith("env QUIESCE_GRACE_MS comes from valueFrom"),
                w -> assertThat(w).startsWith("env QUIESCE_GRACE is not a setting the checker knows"));
        assertThat(run.exit()).isZero();
    }

    @Test
    void kindList_fromKubectlGet_isChecked() {
        String list = """
                apiVersion: v1
                kind: List
                items:
                  - apiVersion: v1
                    kind: Service
                    metadata: {name: s}
                  - %s
                """.formatted(demo("", "", "").strip().replace("\n", "\n    "));

        CheckRun run = CheckRun.ofYaml(list);

        assertThat(run.out()).startsWith("<stdin>: skipped Service s").contains("<stdin>: Deployment d\n");
        assertThat(run.exit()).as(run.out()).isZero();
    }

    @Test
    void container_flagSelectsASidecar_andAnUnknownNameIsAUsageError() {
        CheckRun sidecar = CheckRun.of(CheckRun.FIXTURES, "statefulset.yaml", "--container", "log-shipper");
        CheckRun none = CheckRun.of(CheckRun.FIXTURES, "statefulset.yaml", "--container", "nope");

        assertThat(sidecar.out()).contains("container log-shipper\n").doesNotContain("container ledger");
        assertThat(sidecar.problems()).singleElement().asString().startsWith("no readinessProbe");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("quiesce-check: statefulset.yaml: no container named nope in its "
                + "Deployments and StatefulSets\n");
        assertThat(none.out()).isEmpty();
    }

    @Test
    void help_printsUsage() {
        CheckRun run = CheckRun.of(CheckRun.FIXTURES, "--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo(Check.USAGE);
        for (Setting s : Setting.values()) {
            assertThat(run.out()).contains(s.flag()).contains(s.env());
        }
    }

    @Test
    void usageErrors_exit2WithAMessage() {
        assertUsageError(CheckRun.of(CheckRun.FIXTURES), "give the manifest to check: quiesce-check deployment.yaml");
        assertUsageError(CheckRun.of(CheckRun.FIXTURES, "a.yaml", "--nope"), "unknown option --nope");
        assertUsageError(CheckRun.of(CheckRun.FIXTURES, "a.yaml", "--grace-ms"), "--grace-ms needs a value");
        assertUsageError(CheckRun.of(CheckRun.FIXTURES, "a.yaml", "--grace-ms", "5s"),
                "--grace-ms takes a whole number of milliseconds, was '5s'");
        assertUsageError(CheckRun.of(CheckRun.FIXTURES, "a.yaml", "--grace-ms=0"), "--grace-ms must be more than 0, was 0");
        assertUsageError(CheckRun.of(CheckRun.FIXTURES, "a.yaml", "b.yaml"), "one manifest at a time: got a.yaml and b.yaml");
    }

    private static void assertUsageError(CheckRun run, String message) {
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("quiesce-check: " + message + "\nrun quiesce-check --help for the options\n");
    }

    @Test
    void unreadableFiles_exit2WithAMessage(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("latin1.yaml"), "kind: D\u00e9ployment\n".getBytes(StandardCharsets.ISO_8859_1));
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("empty.yaml"), "");

        assertRefused(CheckRun.of(dir, "missing.yaml"), "cannot read missing.yaml: no such file");
        assertRefused(CheckRun.of(dir, "sub"), "cannot read sub: it is a directory; give a YAML file");
        assertRefused(CheckRun.of(dir, "latin1.yaml"), "latin1.yaml is not UTF-8 text: give a YAML file");
        assertRefused(CheckRun.of(dir, "empty.yaml"),
                "empty.yaml: no Deployment or StatefulSet to check (the file is empty)");
    }

    @Test
    void invalidManifests_exit2NamingThePath() {
        assertRefused(CheckRun.ofYaml(demo("", "", "").replace("periodSeconds: 1", "periodSeconds: ten")),
                "<stdin> (Deployment d): spec.template.spec.containers[0].readinessProbe.periodSeconds must be a whole "
                        + "number, was 'ten'");
        assertRefused(CheckRun.ofYaml(demo("-5", "", "")),
                "<stdin> (Deployment d): spec.template.spec.terminationGracePeriodSeconds must be 0 or more, was -5");
        assertRefused(CheckRun.ofYaml("kind: Deployment\nmetadata: [d]\n"),
                "<stdin> (Deployment): metadata must be a mapping (key: value)");
        assertRefused(CheckRun.ofYaml("kind: {a: b}\n"), "<stdin>: kind must be a single value, not a mapping");
        assertRefused(CheckRun.ofYaml("kind: StatefulSet\nmetadata: {name: s}\nspec: {}\n"),
                "<stdin> (StatefulSet s): spec.template.spec is required (the pod template)");
        assertRefused(CheckRun.ofYaml("kind: Deployment\nmetadata: {name: d}\n"
                + "spec: {template: {spec: {containers: []}}}\n"),
                "<stdin> (Deployment d): spec.template.spec.containers must list at least one container");
    }

    @Test
    void duplicateKeys_areInvalidYaml() {
        CheckRun run = CheckRun.ofYaml(demo("30", "", "").replace("      terminationGracePeriodSeconds: 30\n",
                "      terminationGracePeriodSeconds: 30\n      terminationGracePeriodSeconds: 5\n"));

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("quiesce-check: <stdin> is not valid YAML: while constructing a mapping: "
                + "found duplicate key terminationGracePeriodSeconds");
    }

    @Test
    void aGlobalTag_buildsNoObject() {
        CheckRun run = CheckRun.ofYaml("kind: Deployment\nmetadata: !!javax.script.ScriptEngineManager [x]\n");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("quiesce-check: <stdin> is not valid YAML: Global tag is not allowed: "
                + "tag:yaml.org,2002:javax.script.ScriptEngineManager (line 2, column 11)\n");
    }

    private static void assertRefused(CheckRun run, String message) {
        assertThat(run.exit()).as(run.out()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("quiesce-check: " + message + "\n");
    }
}
