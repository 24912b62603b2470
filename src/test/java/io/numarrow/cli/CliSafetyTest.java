package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.ChildJvm;
import io.numarrow.compute.SyntheticData;
import io.numarrow.io.BatchSource;
import io.numarrow.io.Formats;
import io.numarrow.io.InputBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 15, items 4, 5 and 8 through the command line: exit 2 with one line, nothing replaced, no hang;
 * issue 27 item 2: an output that is one of the inputs.
 */
@Timeout(120)
class CliSafetyTest {
    @TempDir
    Path dir;
    Path x;

    @BeforeEach
    void writeInput() {
        x = dir.resolve("x.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(x, allocator, 50, 8, 3, 10, 1);
        }
    }

    private static void assertOneLine(CliBadInputTest.Run run, String expected) {
        assertEquals(2, run.status(), "exit status; stderr was: " + run.stderr());
        assertEquals(1, run.errLines().size(), "one line on stderr:\n" + run.stderr());
        assertTrue(run.errLines().get(0).contains(expected), run.errLines().get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"100000", "2147483647"})
    void tooManyThreadsIsBadInputAtOnce(String threads) {
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", x.toString(), "--ops", "softmax",
                "--output", dir.resolve("o.arrow").toString(), "--threads", threads);
        assertOneLine(run, "is too many: at most");
        assertFalse(Files.exists(dir.resolve("o.arrow")));
    }

    @Test
    void theThreadBoundIs64PerCpu() {
        assertEquals(128, ThreadCount.check(128, 2));
        assertThrows(BadInputException.class, () -> ThreadCount.check(129, 2));
        assertThrows(BadInputException.class, () -> ThreadCount.check(0, 2));
        assertEquals(null, ThreadCount.check(null, 2));
    }

    @Test
    void aFifoInputWithNoWriterIsRefusedNotWaitedOn() throws Exception {
        Path fifo = dir.resolve("in.arrow");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", fifo.toString(), "--ops", "softmax",
                "--output", dir.resolve("o.arrow").toString());
        assertOneLine(run, "not a regular file");
    }

    @Test
    void aFifoWeightsFileIsRefusedToo() throws Exception {
        Path fifo = dir.resolve("w.arrow");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", x.toString(), "--weights", fifo.toString(),
                "--output", dir.resolve("o.arrow").toString());
        assertOneLine(run, "not a regular file");
    }

    @Test
    void anOutputSymlinkIsRefusedAndKept() throws Exception {
        Path real = Files.writeString(dir.resolve("keep.txt"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("o.arrow"), real);
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", x.toString(), "--ops", "softmax",
                "--output", link.toString());
        assertOneLine(run, "symbolic link");
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("keep", Files.readString(real));
    }

    @Test
    void aDeviceOutputIsRefused() {
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", x.toString(), "--ops", "softmax",
                "--output", "/dev/null");
        assertOneLine(run, "not a regular file");
        assertFalse(Files.isRegularFile(Path.of("/dev/null")));
    }

    /**
     * Issue 27 item 2: an output that is the weights or the input file, by name or through a hard
     * or symbolic link, is refused before anything is written, and the file stays as it was.
     */
    @ParameterizedTest
    @ValueSource(strings = {"weights", "weights-hard-link", "weights-via-symlinked-weights", "input", "input-hard-link",
            "input-via-symlinked-input"})
    void anOutputThatIsAnInputIsRefusedAndTheInputKept(String how) throws Exception {
        Path w = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeWeights(w, allocator, 8, 5, 2);
        }
        Path victim = how.startsWith("weights") ? w : x;
        byte[] before = Files.readAllBytes(victim);
        Path weightsArg = w;
        Path inputArg = x;
        Path output = victim;
        if (how.endsWith("hard-link")) {
            output = Files.createLink(dir.resolve("other-name.arrow"), victim);
        } else if (how.startsWith("weights-via")) {
            weightsArg = Files.createSymbolicLink(dir.resolve("w-link.arrow"), w);
        } else if (how.startsWith("input-via")) {
            inputArg = Files.createSymbolicLink(dir.resolve("x-link.arrow"), x);
        }
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", inputArg.toString(), "--weights",
                weightsArg.toString(), "--output", output.toString());
        assertOneLine(run, how.startsWith("weights") ? "the weights file" : "the input file");
        assertTrue(run.errLines().get(0).contains("choose another --output"), run.errLines().get(0));
        assertTrue(Arrays.equals(before, Files.readAllBytes(victim)), how + ": the file is unchanged");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file");
        }
    }

    /** A Parquet input folder (or glob) whose files include the output: refused the same way. */
    @Test
    void anOutputInsideTheParquetInputIsRefused() throws Exception {
        Path parts = Files.createDirectory(dir.resolve("parts"));
        Path part = parts.resolve("a.parquet");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(part, Formats.Format.PARQUET, allocator, 40, 8, 2, 0, 3);
        }
        byte[] before = Files.readAllBytes(part);
        for (String input : new String[] {parts.toString(), parts + "/*.parquet"}) {
            CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", input, "--ops", "softmax",
                    "--output", part.toString());
            assertOneLine(run, "is the input file");
            assertTrue(Arrays.equals(before, Files.readAllBytes(part)), input + ": the part is unchanged");
        }
    }

    /**
     * Issue 27 item 6: a sparse 3 GiB file that starts and ends like an Arrow file, with a footer length
     * of 2^31-1, run without --quiet (progress on). The progress reporter once read it with Arrow's
     * unchecked reader: OutOfMemoryError after 17 s and 4.3 GB of memory, exit 1. Now the job's own
     * checked opening is the only one: exit 2, one line, in a JVM whose peak resident memory stays small.
     */
    @Test
    void aSparseFileWithAHugeFooterLengthIsOneLineAndLittleMemoryWithProgressOn() throws Exception {
        Path sparse = dir.resolve("sparse.arrow");
        long size = 3L << 30;
        try (FileChannel ch = FileChannel.open(sparse, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("ARROW1\0\0".getBytes(StandardCharsets.US_ASCII)), 0);
            ByteBuffer tail = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            tail.putInt(Integer.MAX_VALUE).put("ARROW1".getBytes(StandardCharsets.US_ASCII)).flip();
            ch.write(tail, size - 10);
        }
        assertEquals(size, Files.size(sparse));
        List<String> command = ChildJvm.command(Main.class, "compute", "--input", sparse.toString(), "--ops", "softmax",
                "--output", dir.resolve("o.arrow").toString());
        Path err = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(command).redirectError(err.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).start();
        long peakKiB = 0;
        while (!child.waitFor(20, TimeUnit.MILLISECONDS)) {
            peakKiB = Math.max(peakKiB, peakResidentKiB(child.pid()));
        }
        // the JVM's warnings and SLF4J's notes on the test class path (several providers) are not numarrow's
        List<String> lines = Files.readAllLines(err).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("WARNING: ") && !l.startsWith("SLF4J(")).toList();
        assertEquals(2, child.exitValue(), String.join("\n", lines));
        assertEquals(1, lines.size(), "one line on stderr: " + lines);
        assertTrue(lines.get(0).contains("sparse.arrow") && lines.get(0).contains("corrupt Arrow file"), lines.get(0));
        assertTrue(peakKiB < 512 * 1024, "peak resident memory " + peakKiB + " KiB");
        assertFalse(Files.exists(dir.resolve("o.arrow")));
    }

    /** VmHWM of a running process (its peak resident memory so far), 0 once it is gone. */
    private static long peakResidentKiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // exited between two looks
        }
        return 0;
    }

    @Test
    void dashWritesTheArrowFileToStandardOutput() throws Exception {
        Path captured = dir.resolve("stdout.arrow");
        List<String> command = ChildJvm.command(Main.class, "compute", "--input", x.toString(), "--ops", "softmax",
                "--output", "-");
        Process child = new ProcessBuilder(command).redirectOutput(captured.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        assertTrue(child.waitFor(90, TimeUnit.SECONDS), "compute did not finish");
        assertEquals(0, child.exitValue(), Files.readString(dir.resolve("stderr.txt")));
        try (BufferAllocator allocator = new RootAllocator();
             FileChannel ch = FileChannel.open(captured, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
            int rows = 0;
            while (reader.loadNextBatch()) {
                rows += reader.getVectorSchemaRoot().getRowCount();
            }
            assertEquals(50, rows);
            assertTrue(reader.getVectorSchemaRoot().getSchema().findField("output") != null);
        }
        assertTrue(Files.readString(dir.resolve("stderr.txt")).contains("50 rows"), "the summary goes to stderr");
    }

    @Test
    void dashWritesAParquetFileToStandardOutputToo() throws Exception {
        Path captured = dir.resolve("stdout.parquet");
        List<String> command = ChildJvm.command(Main.class, "compute", "--input", x.toString(), "--ops", "softmax",
                "--output", "-", "--output-format", "parquet");
        Process child = new ProcessBuilder(command).redirectOutput(captured.toFile())
                .redirectError(dir.resolve("stderr.txt").toFile()).start();
        assertTrue(child.waitFor(90, TimeUnit.SECONDS), "compute did not finish");
        assertEquals(0, child.exitValue(), Files.readString(dir.resolve("stderr.txt")));
        try (BufferAllocator allocator = new RootAllocator();
             BatchSource source = Formats.openSource(captured, Formats.Format.PARQUET, "output", allocator)) {
            int rows = 0;
            for (InputBatch b = source.next(); b != null; b = source.next()) {
                rows += b.root().getRowCount();
                b.close();
            }
            assertEquals(50, rows);
        }
    }
}
