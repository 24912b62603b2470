package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.OutOfMemoryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27 item 7: under a virtual memory limit (ulimit -v) the user is told which limit to raise, on
 * stderr, and no JVM report lands in the current folder.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MemoryLimitTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", ".")).toAbsolutePath();
    private static final String LIMITED = """
            Limit                     Soft Limit           Hard Limit           Units
            Max stack size            8388608              unlimited            bytes
            Max address space         2147483648           unlimited            bytes
            Max file locks            unlimited            unlimited            locks
            """;

    /** A JVM that cannot start under the limit: one line on stderr, nothing on stdout, no hs_err file here. */
    @Test
    void theLauncherSaysWhichLimitToRaiseWhenTheJvmCannotStart(@TempDir Path cwd) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "ulimit -v 1000000 && exec \"$0\" --version", REPO.resolve("numarrow").toString())
                .directory(cwd.toFile()).redirectOutput(cwd.resolve("stdout.txt").toFile())
                .redirectError(cwd.resolve("stderr.txt").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        List<String> err = Files.readAllLines(cwd.resolve("stderr.txt"));
        assertEquals(1, p.exitValue(), String.join("\n", err));
        assertEquals("", Files.readString(cwd.resolve("stdout.txt")), "nothing on standard output");
        assertEquals(1, err.size(), String.join("\n", err));
        assertTrue(err.get(0).startsWith("numarrow: the JVM cannot start within this shell's virtual memory limit"
                + " (ulimit -v: 1000000 KiB); raise it"), err.get(0));
        try (var files = Files.list(cwd)) {
            assertEquals(List.of("stderr.txt", "stdout.txt"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aRunOutOfMemoryUnderALimitNamesIt() {
        OutOfMemoryException mmap = new OutOfMemoryException("cannot map 2097152 bytes for default: mmap failed: ENOMEM");
        assertEquals("; this process may use only 2097152 KiB of address space (ulimit -v): raise that limit"
                + " ('ulimit -v unlimited')", MemoryLimit.hint(new RuntimeException("batch 3", mmap), LIMITED));
        assertEquals("", MemoryLimit.hint(new OutOfMemoryError("unable to create native thread"),
                LIMITED.replace("2147483648", "unlimited  ")), "no limit, no hint");
        assertEquals("", MemoryLimit.hint(new UncheckedIOException(new IOException("disk")), LIMITED), "not a want of memory");
        assertEquals(2097152, MemoryLimit.addressSpaceKiB(LIMITED));
    }
}
