package dev.quiesce.shutdown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
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

    @Test
    void aStaleTemporaryOfTheTarget_isRemoved_evenWithGlobCharactersInTheName_andOtherFilesAreKept() throws Exception {
        Path f = dir.resolve("state[1]{a,b}*.json");
        Path stale = dir.resolve(".state[1]{a,b}*.json.quiesce-tmp-1234"); // left by a writer that was killed
        Path otherTargets = dir.resolve(".other.json.quiesce-tmp-5678");
        Path unrelated = dir.resolve("state[1]{a,b}*.json.bak");
        for (Path p : new Path[] {stale, otherTargets, unrelated}) {
            Files.writeString(p, "x");
            Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(Duration.ofMinutes(5))));
        }
        AtomicFiles.writeString(f, "new");
        assertThat(Files.readString(f)).isEqualTo("new");
        assertThat(stale).doesNotExist();
        assertThat(otherTargets).exists();
        assertThat(unrelated).exists();
    }
}
