package dev.quiesce.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's settings from flags and from the QUIESCE_* environment that {@code quiesce check} reads. */
class DemoSettingsTest {
    private static final String[] NO_FLAGS = {"serve"};

    @Test
    void theEnvironmentSetsTheTimingsAndTheManagementPort() {
        var s = DemoService.Settings.parse(NO_FLAGS, 1, Map.of("QUIESCE_PRE_DRAIN_MS", "5000", "QUIESCE_GRACE_MS",
                "12000", "QUIESCE_CANCEL_GRACE_MS", "1500", "QUIESCE_BUDGET_MS", "45000", "QUIESCE_MANAGEMENT_PORT",
                "9090"));
        assertThat(s.preDrain()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.grace()).isEqualTo(Duration.ofSeconds(12));
        assertThat(s.cancelGrace()).isEqualTo(Duration.ofMillis(1500));
        assertThat(s.budget()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.managementPort()).isEqualTo(9090);
    }

    @Test
    void aFlagWinsOverTheEnvironment_andWithoutEitherTheDefaultsHold() {
        var s = DemoService.Settings.parse(new String[] {"serve", "--grace-ms", "3000", "--management-port", "0"}, 1,
                Map.of("QUIESCE_GRACE_MS", "12000", "QUIESCE_MANAGEMENT_PORT", "9090"));
        assertThat(s.grace()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.managementPort()).isZero();
        var d = DemoService.Settings.parse(NO_FLAGS, 1, Map.of());
        assertThat(d.grace()).isEqualTo(DemoService.Settings.DEFAULT_GRACE);
        assertThat(d.managementPort()).as("no management listener by default").isEqualTo(-1);
        assertThat(d.grpcPort()).as("no gRPC listener by default").isEqualTo(-1);
        assertThat(DemoService.Settings.parse(new String[] {"serve", "--grpc-port", "0"}, 1, Map.of()).grpcPort())
                .isZero();
    }

    @Test
    void aBadEnvironmentValue_getsTheSameClearErrorAsABadFlag() {
        assertThatThrownBy(() -> DemoService.Settings.parse(NO_FLAGS, 1, Map.of("QUIESCE_GRACE_MS", "10s")))
                .hasMessage("QUIESCE_GRACE_MS takes a whole number, was '10s'");
        assertThatThrownBy(() -> DemoService.Settings.parse(new String[] {"serve", "--grace-ms", "10s"}, 1, Map.of()))
                .hasMessage("--grace-ms takes a whole number, was '10s'");
        assertThatThrownBy(() -> DemoService.Settings.parse(NO_FLAGS, 1, Map.of("QUIESCE_BUDGET_MS", "-1")))
                .hasMessage("QUIESCE_BUDGET_MS takes a number of milliseconds, 0 or more, was -1");
        assertThatThrownBy(() -> DemoService.Settings.parse(NO_FLAGS, 1, Map.of("QUIESCE_MANAGEMENT_PORT", "70000")))
                .hasMessage("QUIESCE_MANAGEMENT_PORT takes 0 (any free port) to 65535, was 70000");
        assertThatThrownBy(() -> DemoService.Settings.parse(new String[] {"serve", "--management-port", "70000"}, 1,
                Map.of())).hasMessage("--management-port takes 0 (any free port) to 65535, was 70000");
    }

    @Test
    void theEnvironmentNamesAreTheOnesQuiesceCheckReads() {
        // check/src/main/java/dev/quiesce/check/Setting.java: "QUIESCE_" + name() + "_MS" for each demo option
        assertThat(DemoService.Settings.ENV).containsEntry("--pre-drain-ms", "QUIESCE_PRE_DRAIN_MS")
                .containsEntry("--grace-ms", "QUIESCE_GRACE_MS").containsEntry("--cancel-grace-ms",
                        "QUIESCE_CANCEL_GRACE_MS").containsEntry("--budget-ms", "QUIESCE_BUDGET_MS");
    }
}
