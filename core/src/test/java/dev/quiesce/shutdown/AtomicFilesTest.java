package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void replacesTheWholeFile_andLeavesNoTemporaries() throws Exception {
        Path f = dir.resolve("sub/state.json");
        AtomicFiles.writeString(f, "old");
        AtomicFiles.writeString(f, "new content");
        assertThat(Files.readString(f)).isEqualTo("new content");
        try (var files = Files.list(f.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("state.json");
        }
    }
}
