package dev.quiesce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class ScopeConfigTest {

    @Test
    void configurations_areValues() {
        ThreadFactory f = Thread.ofVirtual().factory();
        var a = ScopeConfig.defaults().withName("http").withTimeout(Duration.ofSeconds(5)).withThreadFactory(f)
                .withCloseTimeout(Duration.ofSeconds(2));
        var b = ScopeConfig.defaults().withName("http").withTimeout(Duration.ofSeconds(5)).withThreadFactory(f)
                .withCloseTimeout(Duration.ofSeconds(2));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotSameAs(b);
        assertThat(a.toString()).isEqualTo(b.toString()).contains("http").contains("PT5S");
        assertThat(ScopeConfig.defaults().withName("x")).isEqualTo(ScopeConfig.defaults().withName("x"));
        assertThat(ScopeConfig.defaults()).isEqualTo(ScopeConfig.defaults());

        assertThat(a).isNotEqualTo(b.withName("other"));
        assertThat(a).isNotEqualTo(b.withTimeout(Duration.ofSeconds(6)));
        assertThat(a).isNotEqualTo(b.withDeadline(Instant.EPOCH));
        assertThat(a).isNotEqualTo(b.withThreadFactory(Thread.ofVirtual().factory()));
        assertThat(a).isNotEqualTo(b.withCloseTimeout(Duration.ofSeconds(3)));
        assertThat(a).isNotEqualTo(null).isNotEqualTo("http");
    }

    @Test
    void anyPositiveDuration_andAnyInstant_areAccepted() {
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
        assertThat(ScopeConfig.defaults().withTimeout(huge).timeout()).contains(huge);
        assertThat(ScopeConfig.defaults().withCloseTimeout(huge).closeTimeout()).isEqualTo(huge);
        assertThat(ScopeConfig.defaults().withDeadline(Instant.MAX).deadline()).contains(Instant.MAX);
        assertThat(ScopeConfig.defaults().withDeadline(Instant.MIN).deadline()).contains(Instant.MIN);
    }

    /** Regression: the message called Duration.toMillis(), which itself throws for a huge duration. */
    @Test
    void theMessageForABadDuration_isSafeForAnyDuration() {
        Duration hugeNegative = Duration.ofSeconds(Long.MIN_VALUE);
        assertThatThrownBy(() -> ScopeConfig.defaults().withTimeout(hugeNegative))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive")
                .hasMessageContaining(hugeNegative.toString());
        assertThatThrownBy(() -> ScopeConfig.defaults().withCloseTimeout(hugeNegative))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("close timeout must be positive");
        assertThatThrownBy(() -> Shield.run(hugeNegative, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shield budget must be positive");
        assertThatThrownBy(() -> ScopeConfig.defaults().withTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(-5 ms)");
    }
}
