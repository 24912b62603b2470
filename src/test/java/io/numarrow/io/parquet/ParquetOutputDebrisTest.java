package io.numarrow.io.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.ChildJvm;
import io.numarrow.io.AtomicOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 27 item 3: a Parquet output interrupted mid-write leaves nothing after SIGINT or SIGTERM,
 * and nothing after the next run when it was killed with SIGKILL. DuckDB writes numarrow's locked
 * temporary file in place: no {@code tmp_} file of its own beside it.
 */
@Timeout(180)
class ParquetOutputDebrisTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT", "KILL"})
    void aSignalMidWriteLeavesNothingBehind(String signal) throws Exception {
        assumeFalse(ChildJvm.ignoresSignal(signal), "skipped: this process ignores SIG" + signal + " (a background job), so its child would too");
        Process child = new ProcessBuilder(ChildJvm.command(ParquetSinkHolder.class, dir.toString()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String writing = awaitWriting(child);
            List<Path> files = entries();
            assertEquals(1, files.size(), "DuckDB writes numarrow's temporary file, no file of its own: " + writing);
            Path temp = files.get(0);
            assertTrue(temp.getFileName().toString().startsWith(".out.parquet.numarrow-"), temp.toString());
            assertTrue(Files.size(temp) > 0, "the bytes are in numarrow's temporary file");
            assertNotEquals(0, flockNonBlocking(temp), "the writer holds its temporary file's lock");
            assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(child.pid())).start().waitFor());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the writer did not stop on SIG" + signal);
        } finally {
            child.destroyForcibly();
        }
        if (signal.equals("KILL")) {
            // nothing runs at a kill -9: the next output opened in the folder removes what is left
            try (AtomicOutput next = AtomicOutput.create(dir.resolve("next.arrow"))) {
                assertEquals(List.of(next.temp()), entries(), "only the next run's own temporary file");
            }
        }
        assertEquals(List.of(), entries(), "SIG" + signal + " left debris");
    }

    /** {@code flock -n FILE true}: 0 when the lock was free, 1 when another process holds it. */
    private static int flockNonBlocking(Path file) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("flock", "-n", file.toString(), "true").start();
        } catch (IOException e) {
            assumeTrue(false, "skipped: flock(1) is not installed");
            throw e;
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static String awaitWriting(Process child) throws IOException {
        String line = ChildJvm.awaitLine(child, "writing ");
        assertTrue(line != null, "the writer did not start");
        return line;
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
