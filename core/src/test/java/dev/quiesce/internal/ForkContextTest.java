package dev.quiesce.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiesce.ScopeConfig;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The fork path's context capture: what it returns, and that it allocates nothing when there is nothing. */
class ForkContextTest {

    @Test
    void withAnEmptyMdcAndNoBoundKey_captureIsNull_andAllocatesNothing() throws Exception {
        // com.sun.management.ThreadMXBean, reached reflectively: core's test module does not read java.management
        Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method allocatedBytes = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        ForkContext ctx = ForkContext.of(ScopeConfig.defaults().withScopedValues(ScopedValue.newInstance()),
                ForkContext.DEFAULT);
        MDC.put("k", "v");
        MDC.remove("k"); // an emptied map, not only an absent one
        assertThat(ctx.capture("/t")).isNull();
        MDC.clear();
        assertThat(ctx.capture("/t")).isNull();
        int n = 100_000;
        for (int i = 0; i < n; i++) { // warm up (the measurement itself allocates a little)
            ctx.capture("/t");
        }
        long before = (long) allocatedBytes.invoke(mx);
        for (int i = 0; i < n; i++) {
            ctx.capture("/t");
        }
        long allocated = (long) allocatedBytes.invoke(mx) - before;
        assertThat(allocated).as("bytes allocated by %d captures", n).isLessThan(n / 10);
    }

    @Test
    void withAnMdc_captureHoldsACopy() {
        MDC.put("k", "v");
        try {
            Object[] c = ForkContext.DEFAULT.capture("/t");
            assertThat(c).isNotNull();
            MDC.put("k", "changed");
            assertThat(c[0]).isEqualTo(java.util.Map.of("k", "v"));
        } finally {
            MDC.clear();
        }
    }

    @Test
    void call_restoresTheCapturedMdcAroundTheTask_andClearsItAfter() throws Exception {
        MDC.put("request", "r-9");
        Object[] captured = ForkContext.DEFAULT.capture("/t");
        MDC.clear(); // as on a new subtask thread
        String seen = ForkContext.DEFAULT.call(captured, () -> MDC.get("request"), "/t");
        assertThat(seen).isEqualTo("r-9");
        assertThat(MDC.getCopyOfContextMap()).isNull();
    }
}
