package dev.quiesce.shutdown;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files so that a crash, or a {@code SIGKILL}, at any moment leaves either the old content or
 * the new content, never a torn mix: the bytes go to a temporary file in the same directory, which is
 * forced to disk, atomically renamed over the target, and then the directory itself is forced so the
 * rename is durable.
 *
 * <p>Thread-safe for different targets. Serialise writes to one target: two concurrent writers each
 * leave a whole file, but one of them may fail. Temporary files left behind by a killed writer (older
 * than a minute) are removed by the next write to the same target.
 */
public final class AtomicFiles {
    private static final String TMP_MARK = ".quiesce-tmp-";

    private AtomicFiles() {}

    /** Writes {@code content} to {@code target} atomically and durably. */
    public static void write(Path target, byte[] content) throws IOException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(content, "content");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            throw new IOException("cannot write " + target + " atomically: it has no parent directory");
        }
        Files.createDirectories(dir);
        removeStaleTemporaries(dir, abs.getFileName().toString());
        Path tmp = dir.resolve("." + abs.getFileName() + TMP_MARK + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + dir + " cannot rename atomically; "
                        + "write state to a local file system", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    /** Writes {@code content} as UTF-8; see {@link #write(Path, byte[])}. */
    public static void writeString(Path target, String content) throws IOException {
        write(target, content.getBytes(StandardCharsets.UTF_8));
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) cannot open a directory; the rename is still atomic there.
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
        }
    }

    /** Accepts the temporary files of a target: a class, not a lambda (nothing to link in a persist hook). */
    private static final class TemporaryOf implements DirectoryStream.Filter<Path> {
        private final String prefix;

        TemporaryOf(String name) {
            this.prefix = "." + name + TMP_MARK;
        }

        @Override
        public boolean accept(Path p) {
            return p.getFileName().toString().startsWith(prefix);
        }
    }

    /** Temporary files left by a writer that was killed are deleted on the next write. */
    private static void removeStaleTemporaries(Path dir, String name) throws IOException {
        // a prefix test, not a glob: a glob is compiled to a regular expression (the regex classes would be
        // loaded inside the shutdown's persist phase), and a file name with glob characters would be misread
        try (DirectoryStream<Path> tmps = Files.newDirectoryStream(dir, new TemporaryOf(name))) {
            long cutoff = System.currentTimeMillis() - 60_000;
            for (Path p : tmps) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException e) {
                    // gone already, or not ours to delete: not a reason to fail this write
                }
            }
        }
    }
}
