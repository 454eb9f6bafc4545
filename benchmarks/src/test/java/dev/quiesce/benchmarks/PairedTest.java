package dev.quiesce.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PairedTest {

    @Test
    void aTinyRunMeasuresEveryImplementationInEveryBlock_andWritesItsFiles(@TempDir Path dir) throws Exception {
        Paired.Options o = Paired.Options.parse(new String[] {"--out", dir.toString(), "--n", "100", "--kind", "park",
                "--issuer", "platform", "--blocks", "3", "--warmup", "1", "--fork-n", "100", "--starter", "virtual",
                "--fork-blocks", "3", "--seed", "16"});

        List<Paired.Cell> cells = Paired.run(o);

        assertThat(cells).extracting(c -> c.type).containsExactly("cancel", "fork");
        for (Paired.Cell c : cells) {
            assertThat(c.error).as(c.title()).isNull();
            assertThat(c.blocks).as(c.title()).isEqualTo(3);
            assertThat(c.orders).as(c.title()).hasSize(3)
                    .allSatisfy(order -> assertThat(order).containsExactlyInAnyOrderElementsOf(c.impls));
            assertThat(c.ms.keySet()).containsExactlyElementsOf(c.impls);
            assertThat(c.ms.values()).allSatisfy(ms -> assertThat(java.util.Arrays.stream(ms).boxed().toList()).hasSize(3)
                    .allSatisfy(x -> assertThat(x).isPositive()));
            assertThat(c.ratio(c.baseline(), c.baseline()).median()).isEqualTo(1.0);
        }
        assertThat(cells.get(0).impls).containsExactlyElementsOf(Paired.CANCEL_IMPLS);
        assertThat(cells.get(1).impls).containsExactlyElementsOf(Paired.FORK_IMPLS);

        String json = Files.readString(dir.resolve("paired.json"));
        assertThat(json).startsWith("{").endsWith("}\n").contains("\"seed\":16", "\"quiesceTree\":{\"ms\":[",
                "\"ratioToFloor\":{\"median\":1.0000,\"q1\":1.0000,\"q3\":1.0000,\"count\":3}",
                "\"ratioToJdkNested\":{", "\"ratioToBare\":{", "\"ratioToExecutor\":{", "\"verdict\":\"");
        String md = Files.readString(dir.resolve("paired.md"));
        assertThat(md).contains("| Quiesce, 10 × 10 × n/100 |", "park, n = 100, issuer platform",
                "fork, n = 100, starter virtual", "| Quiesce flat ≤ 0.9 × floor | park, n = 100, issuer platform |",
                "| Quiesce fork ≤ 1.2 × bare | fork, n = 100, starter virtual |")
                .doesNotContain("n ≥ 100 000") // that target is only for the cells of n = 100 000
                .doesNotContain("Failed cells");
    }

    @Test
    void badArgumentsAreRefusedWithAMessageThatSaysWhatIsWanted() {
        assertThatThrownBy(() -> Paired.Options.parse(new String[] {"--n", "10000"}))
                .hasMessageContaining("--out DIR is required");
        assertThatThrownBy(() -> Paired.Options.parse(new String[] {"--out", "x", "--kind", "park,spin"}))
                .hasMessageContaining("--kind takes a comma-separated list of [park, sleep, socket, cpu]");
        assertThatThrownBy(() -> Paired.Options.parse(new String[] {"--out", "x", "--blocks", "0"}))
                .hasMessageContaining("--blocks wants a whole number of at least 1");
        assertThatThrownBy(() -> Paired.Options.parse(new String[] {"--out", "x", "--warmup"}))
                .hasMessageContaining("--warmup needs a value");
    }
}
