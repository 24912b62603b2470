package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.numarrow.BadInputException;
import io.numarrow.SmallDisk;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-place sink on its own, with two appended columns as an argmax job has (a float32[h] tensor
 * and an int32 {@code prediction}): the tensor written through the vector over the file's pages, the
 * int column reallocated by the computing code (as a column prepared to the batch's rows is) and so
 * copied into place at the batch's finish. Arrow Java reads back every value and null, the input's
 * columns unchanged; a sink closed without a commit leaves nothing; a stream input is refused.
 */
@Timeout(60)
class MappedIpcSinkTest {
    private static final int H = 5;

    @TempDir
    Path dir;

    @Test
    void twoAppendedColumnsOneOfThemReallocatedReadBack() throws Exception {
        assertFalse(writeAndReadBack(dir.resolve("out.arrow"), Route.DEFAULT),
                "by default the input's columns are written from its mapping, not copied by copy_file_range");
    }

    /**
     * The input's columns copied inside the kernel ({@code numarrow.output.kernelCopy=true}) on the
     * same file system: {@code copy_file_range} copies them all, and the file is byte for byte the one
     * the default writes from the input's mapping make.
     */
    @Test
    void theKernelsCopyMakesTheSameFileAsWrites() throws Exception {
        assertTrue(writeAndReadBack(dir.resolve("copied.arrow"), Route.KERNEL), "same file system: copy_file_range copies");
        Path written = dir.resolve("written.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            assertFalse(writeOutput(dir.resolve("in.arrow"), written, allocator, Route.DEFAULT));
        }
        assertEquals(-1, Files.mismatch(dir.resolve("copied.arrow"), written));
    }

    /**
     * Batches larger than a write piece (20,000 rows: each column's run spans several pieces, from
     * offsets inside a page): read back right, and byte for byte the file the kernel's copy of the
     * input's columns makes.
     */
    @Test
    void batchesLargerThanAPieceReadBackAndMatchTheKernelsCopy() throws Exception {
        Path written = writtenAsTheKernelsCopy(20_000, Route.DEFAULT, "batches larger than a piece");
        try (BufferAllocator allocator = new RootAllocator()) {
            readBack(dir.resolve("in.arrow"), written, allocator);
        }
    }

    /**
     * The input's kept columns' whole pages written with {@code O_DIRECT} by the sink's own thread
     * (20,000-row batches: each body spans many pages), their partial pages through the page cache,
     * finishes split in both orders: read back right, and byte for byte the file the kernel's copy makes.
     */
    @Test
    void directWritesOfTheInputsPagesMakeTheSameFile() throws Exception {
        Path written = writtenAsTheKernelsCopy(20_000, Route.DIRECT, "direct writes");
        try (BufferAllocator allocator = new RootAllocator()) {
            readBack(dir.resolve("in.arrow"), written, allocator);
        }
    }

    /** Pieces from any offset cover the run exactly, and every piece but the last ends on a piece boundary of the file. */
    @Test
    void piecesEndOnTheFilesPieceBoundaries() {
        long piece = MappedIpcSink.pieceAt(0, Long.MAX_VALUE);
        for (long at : new long[] {0, 1, 64, 4095, 4096, piece - 1, piece, 3 * piece + 4160}) {
            for (long length : new long[] {1, 63, piece - 1, piece, piece + 1, 4 * piece + 17}) {
                long done = 0;
                while (done < length) {
                    long n = MappedIpcSink.pieceAt(at + done, length - done);
                    assertTrue(n > 0 && n <= piece, "piece of " + n + " bytes");
                    done += n;
                    assertTrue(done == length || (at + done) % piece == 0, "a piece ends at " + (at + done));
                }
                assertEquals(length, done);
            }
        }
    }

    /**
     * Each batch's finish in its two parts, the input's kept columns written before the computed
     * columns or after them (as two threads share it): the same file as one call per batch makes.
     */
    @Test
    void aFinishInTwoPartsMakesTheSameFile() throws Exception {
        Path written = dir.resolve("written.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(dir.resolve("in.arrow"), allocator, 3, 33, 4, null);
            assertFalse(writeOutput(dir.resolve("in.arrow"), written, allocator, Route.DEFAULT));
        }
        Path split = Files.createDirectory(dir.resolve("split")).resolve("out.arrow");
        writeAndReadBack(split, Route.SPLIT);
        assertEquals(-1, Files.mismatch(split, written));
    }

    /**
     * The input's kept columns copied ahead of the finishes (as while a fresh JVM's kernels compile),
     * for the first batch or for all three: before any batch is computed the temporary file holds
     * exactly those batches' input bodies, and the finished file is byte for byte the one the
     * finishes' own copies make.
     */
    @Test
    void theInputsColumnsCopiedAheadMakeTheSameFile() throws Exception {
        Path written = dir.resolve("written.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(dir.resolve("in.arrow"), allocator, 3, 33, 4, null);
            assertFalse(writeOutput(dir.resolve("in.arrow"), written, allocator, Route.DEFAULT));
        }
        for (Route route : new Route[] {Route.AHEAD_ONE, Route.AHEAD_ALL}) {
            Path out = Files.createDirectory(dir.resolve(route.name())).resolve("out.arrow");
            writeAndReadBack(out, route);
            assertEquals(-1, Files.mismatch(out, written), route.name());
        }
    }

    /** With the input's columns dropped there is nothing to copy ahead: false at once. */
    @Test
    void nothingIsCopiedAheadWhenTheInputsColumnsAreDropped() throws Exception {
        Path input = dir.resolve("in.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 2, 17, 4, null);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator);
                 MappedIpcSink sink = MappedIpcSink.open(dir.resolve("y.arrow"), source,
                         new Schema(List.of(FixedShapeTensorType.float32(H).field("output"))), 1, false, allocator)) {
                assertFalse(sink.copyNextInputAhead());
                assertEquals(0, sink.aheadNanos());
            }
        }
    }

    /**
     * An input that shrinks before a batch's kept columns are written from its mapping: the write
     * meets pages the file no longer has ({@code EFAULT}, no signal), the job's error names the input
     * as changed, and the temporary output is gone once the sink is closed.
     */
    @Test
    void anInputThatShrinksBeforeItsColumnsAreWrittenFailsNamingIt() throws Exception {
        Path input = Files.createDirectory(dir.resolve("in")).resolve("in.arrow");
        Path folder = Files.createDirectory(dir.resolve("out"));
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 2, 4000, 64, null);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator)) {
                List<Field> fields = new ArrayList<>(source.schema().getFields());
                fields.add(FixedShapeTensorType.float32(H).field("output"));
                try (MappedIpcSink sink = MappedIpcSink.open(folder.resolve("y.arrow"), source, new Schema(fields), 1,
                        true, allocator)) {
                    sink.copyInputByWrites();
                    sink.columns(0);
                    try (FileChannel ch = FileChannel.open(input, StandardOpenOption.WRITE)) {
                        ch.truncate(4096); // the first batch's body reaches far past this page
                    }
                    BadInputException e = assertThrows(BadInputException.class, () -> sink.finish(0));
                    assertTrue(e.getMessage().contains("in.arrow: input file changed while being read"), e.getMessage());
                }
            }
        }
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of(), s.toList());
        }
    }

    /**
     * An output on another file system (a tmpfs; mounting one needs root, skipped with one line
     * elsewhere), where {@code copy_file_range} refuses to copy from the input: the input's columns
     * are written from its mapping instead, with the same result.
     */
    @Test
    void anotherFileSystemGetsTheInputColumnsByWrites() throws Exception {
        Path disk = Files.createDirectory(dir.resolve("disk"));
        assumeTrue(SmallDisk.mount(disk),
                "skipped: cannot mount a tmpfs here (needs root)");
        try {
            assertFalse(writeAndReadBack(disk.resolve("out.arrow"), Route.KERNEL),
                    "across file systems copy_file_range refuses, and the input's columns are written");
        } finally {
            assertTrue(SmallDisk.unmount(disk), "umount " + disk);
        }
    }

    /**
     * The input's columns written from its mapping (as where {@code copy_file_range} cannot copy
     * them) by a thread interrupted before every batch's finish: a {@code FileChannel} write would
     * have thrown {@code ClosedByInterruptException} and closed the file; the writes go on, the
     * interrupt stays the caller's, and the file is byte for byte the one the kernel's copy makes.
     */
    @Test
    void anInterruptDuringTheInputCopyByWritesLosesNothing() throws Exception {
        writtenAsTheKernelsCopy(33, Route.WRITES_INTERRUPTED, "the same file through an interrupt");
    }

    /**
     * A commit on an interrupted thread: the sync goes through the temporary file's
     * {@code FileChannel}, which the interrupt closes, so the job fails with one line and leaves
     * nothing (docs/safety.md).
     */
    @Test
    void anInterruptedCommitFailsAndLeavesNothing() throws Exception {
        Path input = Files.createDirectory(dir.resolve("in")).resolve("in.arrow");
        Path folder = Files.createDirectory(dir.resolve("out"));
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 2, 17, 4, null);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator)) {
                List<Field> fields = new ArrayList<>(source.schema().getFields());
                fields.add(FixedShapeTensorType.float32(H).field("output"));
                try (MappedIpcSink sink = MappedIpcSink.open(folder.resolve("y.arrow"), source, new Schema(fields), 1,
                        true, allocator)) {
                    for (int b = 0; b < sink.batches(); b++) {
                        sink.columns(b);
                        sink.finish(b);
                    }
                    Thread.currentThread().interrupt();
                    try {
                        UncheckedIOException e = assertThrows(UncheckedIOException.class, sink::commit);
                        assertTrue(e.getMessage().contains("y.arrow: cannot write the output: interrupted while writing"),
                                e.getMessage());
                    } finally {
                        Thread.interrupted();
                    }
                }
            }
        }
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of(), s.toList());
        }
    }

    /** How a test has the input's columns reach the output. */
    private enum Route {
        /** As the settings say (by default, writes from the input's mapping). */
        DEFAULT,
        /** Copied inside the kernel while it can ({@code numarrow.output.kernelCopy=true}). */
        KERNEL,
        /** Written from the input's mapping by a thread interrupted before each batch's finish. */
        WRITES_INTERRUPTED,
        /** The first batch's copied ahead ({@link MappedIpcSink#copyNextInputAhead}), the others by their finishes. */
        AHEAD_ONE,
        /** Every batch's copied ahead. */
        AHEAD_ALL,
        /** Each batch's finish in two calls, the input's columns first or last ({@link MappedIpcSink#finishInput}). */
        SPLIT,
        /** The input's columns' whole pages written with O_DIRECT ({@code numarrow.output.directInput=true}), finishes split as in SPLIT. */
        DIRECT
    }

    /** Returns whether the kernel copied the input's columns to the end. */
    private boolean writeAndReadBack(Path out, Route route) throws Exception {
        Path input = dir.resolve("in.arrow");
        boolean inKernel;
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 3, 33, 4, null);
            inKernel = writeOutput(input, out, allocator, route);
            readBack(input, out, allocator);
        }
        return inKernel;
    }

    /**
     * Writes {@code out} from {@code input} with the two appended columns, the input's columns reaching
     * it by {@code route}. Returns whether the kernel copied the input's columns to the end.
     */
    private boolean writeOutput(Path input, Path out, BufferAllocator allocator, Route route) throws Exception {
        boolean interruptedByWrites = route == Route.WRITES_INTERRUPTED;
        boolean inKernel;
        try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator)) {
            List<Field> fields = new ArrayList<>(source.schema().getFields());
            fields.add(FixedShapeTensorType.float32(H).field("output"));
            fields.add(new Field("prediction", FieldType.nullable(new ArrowType.Int(32, true)), null));
            Schema schema = new Schema(fields);
            if (route == Route.DIRECT) {
                System.setProperty("numarrow.output.directInput", "true");
            }
            MappedIpcSink opened;
            try {
                opened = MappedIpcSink.open(out, source, schema, 2, true, allocator);
            } finally {
                System.clearProperty("numarrow.output.directInput");
            }
            try (MappedIpcSink sink = opened) {
                assertNotNull(sink, "an Arrow IPC input read from its mapping is written in place");
                if (route == Route.DIRECT) {
                    assumeTrue(sink.writesInputDirect(), "the test's file system takes O_DIRECT");
                }
                if (interruptedByWrites) {
                    sink.copyInputByWrites();
                } else if (route == Route.KERNEL) {
                    sink.copyInputInKernel();
                } else if (route == Route.AHEAD_ONE || route == Route.AHEAD_ALL) {
                    copyAhead(source, sink, out, route == Route.AHEAD_ONE ? 1 : sink.batches());
                }
                for (int b = 0; b < sink.batches(); b++) {
                    VectorSchemaRoot columns = sink.columns(b);
                    FixedShapeTensorVector tensor = (FixedShapeTensorVector) columns.getVector("output");
                    Float4Vector values = (Float4Vector) tensor.getUnderlyingVector().getDataVector();
                    IntVector prediction = (IntVector) columns.getVector("prediction");
                    prediction.allocateNew(sink.rows(b)); // leaves the file's pages: copied back at finish
                    for (int r = 0; r < sink.rows(b); r++) {
                        for (int c = 0; c < H; c++) {
                            values.set(r * H + c, value(b, r, c));
                        }
                        if (r % 4 == 1) {
                            tensor.getUnderlyingVector().setNull(r);
                            prediction.setNull(r);
                        } else {
                            prediction.set(r, b * 1000 + r);
                        }
                    }
                    prediction.setValueCount(sink.rows(b));
                    if (interruptedByWrites) {
                        Thread.currentThread().interrupt();
                        try {
                            sink.finish(b);
                        } finally {
                            assertTrue(Thread.interrupted(), "batch " + b + ": the interrupt is left to the caller");
                        }
                    } else if ((route == Route.SPLIT || route == Route.DIRECT) && b % 2 == 0) {
                        assertTrue(sink.hasInputToFinish(b), "batch " + b);
                        sink.finishInput(b);
                        sink.finish(b, false);
                    } else if (route == Route.SPLIT || route == Route.DIRECT) {
                        sink.finish(b, false);
                        sink.finishInput(b);
                    } else {
                        sink.finish(b);
                    }
                }
                inKernel = sink.copiesInKernel();
                sink.commit();
                if (route == Route.DIRECT) {
                    assertTrue(sink.inputBytesWrittenDirect() > 0, "whole pages of the input's columns went with O_DIRECT");
                }
            }
        }
        return inKernel;
    }

    /**
     * Copies the first {@code n} batches' input columns ahead and checks that the temporary file (the
     * one file beside {@code out}) then holds those batches' input bodies and no other's.
     */
    private static void copyAhead(BatchSource source, MappedIpcSink sink, Path out, int n) throws Exception {
        for (int b = 0; b < n; b++) {
            assertTrue(sink.copyNextInputAhead(), "batch " + b);
        }
        if (n == sink.batches()) {
            assertFalse(sink.copyNextInputAhead(), "every batch's copied already");
        }
        assertEquals(n, sink.inputCopiedAhead());
        MappedArrowFileReader reader = ((IpcBatchSource) source).mappedReader();
        byte[] in = Files.readAllBytes(reader.mapping().file());
        byte[] temp;
        try (Stream<Path> s = Files.list(out.getParent())) {
            temp = Files.readAllBytes(s.filter(p -> !p.equals(out)).findFirst().orElseThrow());
        }
        for (int b = 0; b < sink.batches(); b++) {
            IpcFileLayout.BatchPlan plan = reader.layout().batches().get(b);
            byte[] body = Arrays.copyOfRange(in, (int) plan.bodyOffset(), (int) (plan.bodyOffset() + plan.bodyLength()));
            assertEquals(b < n, indexOf(temp, body) >= 0, "batch " + b + "'s input body in the temporary file");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * A 3-batch input of {@code rows} rows a batch written out twice, its columns copied by the kernel and
     * reaching the file by {@code route} (writes from its mapping): the two files must be the same byte
     * for byte. Returns the one {@code route} wrote.
     */
    private Path writtenAsTheKernelsCopy(int rows, Route route, String what) throws Exception {
        Path input = dir.resolve("in.arrow");
        Path copied = dir.resolve("copied.arrow");
        Path written = dir.resolve("written.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 3, rows, 4, null);
            assertTrue(writeOutput(input, copied, allocator, Route.KERNEL));
            assertFalse(writeOutput(input, written, allocator, route));
        }
        assertEquals(-1, Files.mismatch(copied, written), what);
        return written;
    }

    private static void readBack(Path input, Path out, BufferAllocator allocator) throws Exception {
        try (FileChannel in = FileChannel.open(input); FileChannel ch = FileChannel.open(out);
             ArrowFileReader expected = new ArrowFileReader(in, allocator);
             ArrowFileReader actual = new ArrowFileReader(ch, allocator)) {
            int b = 0;
            while (expected.loadNextBatch()) {
                assertTrue(actual.loadNextBatch());
                VectorSchemaRoot e = expected.getVectorSchemaRoot();
                VectorSchemaRoot a = actual.getVectorSchemaRoot();
                assertEquals(e.getRowCount(), a.getRowCount());
                for (FieldVector v : e.getFieldVectors()) {
                    assertTrue(VectorEqualsVisitor.vectorEquals(v, a.getVector(v.getName())), "column " + v.getName());
                }
                FieldVector tensor = a.getVector("output");
                IntVector prediction = (IntVector) a.getVector("prediction");
                for (int r = 0; r < a.getRowCount(); r++) {
                    if (r % 4 == 1) {
                        assertTrue(tensor.isNull(r), "batch " + b + " row " + r);
                        assertTrue(prediction.isNull(r), "batch " + b + " row " + r);
                        continue;
                    }
                    assertEquals(b * 1000 + r, prediction.get(r));
                    @SuppressWarnings("unchecked")
                    List<Float> row = (List<Float>) tensor.getObject(r);
                    for (int c = 0; c < H; c++) {
                        assertEquals(value(b, r, c), row.get(c), "batch " + b + " row " + r + " value " + c);
                    }
                }
                assertEquals((a.getRowCount() + 2) / 4, prediction.getNullCount(), "null count in the metadata");
                b++;
            }
            assertFalse(actual.loadNextBatch());
            assertEquals(3, b);
        }
    }

    @Test
    void closedWithoutACommitLeavesNothing() throws Exception {
        Path input = Files.createDirectory(dir.resolve("in")).resolve("in.arrow");
        Path folder = Files.createDirectory(dir.resolve("out"));
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 2, 17, 4, null);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator)) {
                List<Field> fields = new ArrayList<>(source.schema().getFields());
                fields.add(FixedShapeTensorType.float32(H).field("output"));
                try (MappedIpcSink sink = MappedIpcSink.open(folder.resolve("y.arrow"), source, new Schema(fields), 1,
                        true, allocator)) {
                    sink.columns(0);
                    sink.finish(0);
                }
            }
        }
        try (Stream<Path> s = Files.list(folder)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void standardOutputIsLeftToTheWriter() throws Exception {
        Path input = dir.resolve("in.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            IpcTestFiles.write(input, allocator, 1, 3, 4, null);
            try (BatchSource source = Formats.openSource(input, Formats.Format.ARROW, "v", allocator)) {
                List<Field> fields = new ArrayList<>(source.schema().getFields());
                fields.add(FixedShapeTensorType.float32(H).field("output"));
                for (String target : new String[] {"-", "/dev/stdout"}) {
                    assertNull(MappedIpcSink.open(Path.of(target), source, new Schema(fields), 1, true, allocator), target);
                }
            }
        }
    }

    private static float value(int batch, int row, int c) {
        return batch * 100 + row + c / 8f;
    }
}
