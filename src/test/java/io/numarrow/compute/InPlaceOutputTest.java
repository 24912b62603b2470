package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import io.numarrow.Settings;
import io.numarrow.SystemProperties;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compare.VectorEqualsVisitor;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 25: an Arrow IPC output computed in place in its mapped file holds the same batches as the
 * buffered writer's ({@code numarrow.output.inPlace=false}), bit for bit in every column, and reads
 * back in Arrow Java's own {@link ArrowFileReader} close to the float64 reference: odd batch sizes,
 * zero-row batches, null rows, input columns kept or dropped, one and two threads.
 */
@Timeout(120)
class InPlaceOutputTest {
    private static final int D = 24;
    private static final int H = 19;

    @TempDir
    Path dir;

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("one row", List.of(1)),
                Arguments.of("17 rows", List.of(17)),
                Arguments.of("4001 rows", List.of(4001)),
                Arguments.of("zero-row batches between", List.of(0, 17, 0, 1, 255, 0)),
                Arguments.of("only a zero-row batch", List.of(0)),
                Arguments.of("100 batches", IntStream.range(0, 100).map(i -> 1 + i * 37 % 101).boxed().toList()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void sameBatchesAsTheBufferedWriterAndCloseToFloat64(String name, List<Integer> batchRows) throws Exception {
        Path input = dir.resolve("x.arrow");
        Path weights = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            writeInput(input, allocator, batchRows, 7);
            SyntheticData.writeWeights(weights, allocator, D, H, 3);
        }
        for (int threads : new int[] {1, 2}) {
            for (boolean keep : new boolean[] {true, false}) {
                String where = name + ", " + threads + " thread(s), " + (keep ? "input kept" : "input dropped");
                Path inPlace = dir.resolve("in-place-" + threads + keep + ".arrow");
                Path buffered = dir.resolve("buffered-" + threads + keep + ".arrow");
                assertTrue(run(input, weights, inPlace, keep, threads, true).timings().inPlace(), where + ": in place");
                assertFalse(run(input, weights, buffered, keep, threads, false).timings().inPlace(), where);
                assertSameBatches(buffered, inPlace, where);
                assertMatchesReference(input, weights, inPlace, where);
            }
        }
    }

    /**
     * Session 9: the appended columns computed into the job's reused buffers and written to the file
     * by each batch's finish (the default) give the file the kernels' stores into its mapped pages
     * gave ({@code numarrow.output.mappedStores=true}), byte for byte, padding and footer included:
     * batches that shrink (a reused buffer holds the larger batch before), null rows, a second
     * appended column (argmax's int32 classes, with its own validity), input kept or dropped, one and
     * two threads.
     */
    @Test
    void writtenFromBuffersIsByteForByteTheFileOfMappedStores() throws Exception {
        Path input = dir.resolve("x.arrow");
        Path weights = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            writeInput(input, allocator, List.of(4001, 255, 0, 17, 1, 33, 16), 11);
            SyntheticData.writeWeights(weights, allocator, D, H, 3);
        }
        for (Ops op : new Ops[] {Ops.MATMUL_SOFTMAX, Ops.MATMUL_SOFTMAX_ARGMAX}) {
            for (int threads : new int[] {1, 2}) {
                for (boolean keep : new boolean[] {true, false}) {
                    String where = op + ", " + threads + " thread(s), " + (keep ? "input kept" : "input dropped");
                    Path written = dir.resolve("written.arrow");
                    Path stored = dir.resolve("stored.arrow");
                    ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, written, "features", op, "output", keep, null);
                    assertTrue(runSpec(spec, threads, true).timings().inPlace(), where);
                    ComputeJob.Spec mapped = new ComputeJob.Spec(input, weights, stored, "features", op, "output", keep, null);
                    assertTrue(SystemProperties.with(Settings.OUTPUT_MAPPED_STORES.name(), "true",
                            () -> runSpec(mapped, threads, true)).timings().inPlace(), where);
                    assertArrayEquals(Files.readAllBytes(stored), Files.readAllBytes(written), where);
                }
            }
        }
    }

    /**
     * Softmax alone (no weights), matmul alone, and the ops ending in argmax (a second appended
     * column, int32 {@code prediction}) go through the same path.
     */
    @Test
    void softmaxAloneMatmulAloneAndArgmaxToo() throws Exception {
        Path input = dir.resolve("x.arrow");
        Path weights = dir.resolve("w.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            writeInput(input, allocator, List.of(17, 0, 33), 5);
            SyntheticData.writeWeights(weights, allocator, D, H, 3);
        }
        for (Ops op : new Ops[] {Ops.SOFTMAX, Ops.MATMUL, Ops.MATMUL_ARGMAX, Ops.MATMUL_SOFTMAX_ARGMAX, Ops.SOFTMAX_ARGMAX}) {
            Path inPlace = dir.resolve(op + "-in-place.arrow");
            Path buffered = dir.resolve(op + "-buffered.arrow");
            ComputeJob.Spec spec = new ComputeJob.Spec(input, op.needsWeights() ? weights : null, inPlace, "features", op, "output");
            assertTrue(runSpec(spec, 2, true).timings().inPlace());
            runSpec(new ComputeJob.Spec(input, spec.weights(), buffered, "features", op, "output"), 2, false);
            assertSameBatches(buffered, inPlace, op.toString());
        }
    }

    /**
     * A failure in the middle of the job (here the progress callback, told after batch 2 is finished
     * while batch 3 is computed) leaves nothing at the output path, no temporary file beside it,
     * and no buffer allocated: the allocator's close throws on a leak.
     */
    @Test
    void aFailureMidJobLeavesNothing() throws Exception {
        Path input = dir.resolve("x.arrow");
        Path weights = dir.resolve("w.arrow");
        Path out = Files.createDirectory(dir.resolve("out")).resolve("y.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            writeInput(input, allocator, List.of(17, 17, 17, 17, 17), 5);
            SyntheticData.writeWeights(weights, allocator, D, H, 3);
        }
        ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, out, "features", Ops.MATMUL_SOFTMAX, "output");
        try (ThreadPool pool = pool(2)) {
            for (int failAt = 1; failAt <= 5; failAt++) {
                int at = failAt;
                IllegalStateException e;
                try (BufferAllocator allocator = new RootAllocator()) {
                    e = assertThrows(IllegalStateException.class, () -> ComputeJob.run(spec, new ParallelOps(pool), allocator,
                            (batches, rows) -> {
                                if (batches == at) {
                                    throw new IllegalStateException("stopped after batch " + at);
                                }
                            }));
                }
                assertEquals("stopped after batch " + at, e.getMessage());
                try (Stream<Path> s = Files.list(out.getParent())) {
                    assertEquals(List.of(), s.toList(), "failed after batch " + at);
                }
            }
        }
    }

    private static ThreadPool pool(int threads) {
        return ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
    }

    private static ComputeJob.Result run(Path input, Path weights, Path out, boolean keep, int threads, boolean inPlace)
            throws Exception {
        return runSpec(new ComputeJob.Spec(input, weights, out, "features", Ops.MATMUL_SOFTMAX, "output", keep, null),
                threads, inPlace);
    }

    private static ComputeJob.Result runSpec(ComputeJob.Spec spec, int threads, boolean inPlace) throws Exception {
        return SystemProperties.with(Settings.OUTPUT_IN_PLACE.name(), Boolean.toString(inPlace), () -> {
            try (BufferAllocator allocator = new RootAllocator(); ThreadPool pool = pool(threads)) {
                return ComputeJob.run(spec, new ParallelOps(pool), allocator);
            }
        });
    }

    /**
     * The batches of an input: {@code id} (int64), {@code features} (float32[D], every 11th row null),
     * {@code label} (utf8, every 3rd null), with the given rows per batch.
     */
    static void writeInput(Path file, BufferAllocator allocator, List<Integer> batchRows, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        try (BigIntVector id = new BigIntVector("id", allocator);
             FixedShapeTensorVector features = (FixedShapeTensorVector) FixedShapeTensorType.float32(D)
                     .getNewVector("features", null, allocator);
             VarCharVector label = new VarCharVector("label", allocator)) {
            List<FieldVector> vectors = List.of(id, features, label);
            VectorSchemaRoot root = new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(), vectors, 0);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                long row = 0;
                for (int n : batchRows) {
                    id.allocateNew(n);
                    label.allocateNew(n);
                    TensorColumns.prepare(features, n);
                    try (Tensor x = TensorColumns.view(features)) {
                        for (int r = 0; r < n; r++, row++) {
                            id.set(r, row);
                            if (row % 3 == 0) {
                                label.setNull(r);
                            } else {
                                label.setSafe(r, ("row " + row).getBytes(StandardCharsets.UTF_8));
                            }
                            for (int c = 0; c < D; c++) {
                                x.set(r, c, (float) (random.nextDouble() * 4 - 2));
                            }
                            if (row % 11 == 10) {
                                features.getUnderlyingVector().setNull(r);
                            }
                        }
                    }
                    id.setValueCount(n);
                    label.setValueCount(n);
                    root.setRowCount(n);
                    w.writeBatch();
                }
                w.end();
            }
        }
    }

    /**
     * Both files hold the same schema and batches: every column equal value for value (Arrow's
     * comparison), and the output column's validity and float bits equal over every row, null rows too.
     */
    static void assertSameBatches(Path expected, Path actual, String where) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
             FileChannel a = FileChannel.open(expected); FileChannel b = FileChannel.open(actual);
             ArrowFileReader ra = new ArrowFileReader(a, allocator); ArrowFileReader rb = new ArrowFileReader(b, allocator)) {
            assertEquals(ra.getVectorSchemaRoot().getSchema(), rb.getVectorSchemaRoot().getSchema(), where + ": schema");
            assertEquals(ra.getRecordBlocks().size(), rb.getRecordBlocks().size(), where + ": batches");
            int batch = 0;
            while (ra.loadNextBatch()) {
                assertTrue(rb.loadNextBatch(), where + ": batch " + batch);
                VectorSchemaRoot x = ra.getVectorSchemaRoot();
                VectorSchemaRoot y = rb.getVectorSchemaRoot();
                assertEquals(x.getRowCount(), y.getRowCount(), where + ": batch " + batch + " rows");
                for (int c = 0; c < x.getFieldVectors().size(); c++) {
                    FieldVector u = x.getVector(c);
                    FieldVector v = y.getVector(c);
                    assertTrue(VectorEqualsVisitor.vectorEquals(u, v), where + ": batch " + batch + " column " + u.getName());
                    assertEquals(u.getNullCount(), v.getNullCount(), where + ": batch " + batch + " column " + u.getName());
                }
                FixedShapeTensorVector u = (FixedShapeTensorVector) x.getVector("output");
                FixedShapeTensorVector v = (FixedShapeTensorVector) y.getVector("output");
                assertArrayEquals(bytes(u.getUnderlyingVector().getDataVector().getDataBuffer(), 4L * H * x.getRowCount()),
                        bytes(v.getUnderlyingVector().getDataVector().getDataBuffer(), 4L * H * y.getRowCount()),
                        where + ": batch " + batch + " output bits");
                for (int r = 0; r < x.getRowCount(); r++) {
                    assertEquals(u.isNull(r), v.isNull(r), where + ": batch " + batch + " row " + r + " null");
                }
                batch++;
            }
            assertFalse(rb.loadNextBatch(), where + ": no batch more");
        }
    }

    private static byte[] bytes(ArrowBuf buf, long length) {
        byte[] out = new byte[Math.toIntExact(length)];
        buf.getBytes(0, out);
        return out;
    }

    /** Each non-null row is softmax(x·W) within float tolerance, each null input row null, ids in order. */
    static void assertMatchesReference(Path input, Path weights, Path output, String where) throws Exception {
        try (BufferAllocator allocator = new RootAllocator()) {
            List<double[]> x = Reference.readRows(input, "features", allocator);
            List<double[]> w = Reference.readRows(weights, "weights", allocator);
            List<double[]> y = Reference.readRows(output, "output", allocator);
            assertEquals(x.size(), y.size(), where + ": rows");
            for (int r = 0; r < x.size(); r++) {
                if (x.get(r) == null) {
                    assertNull(y.get(r), where + ": row " + r + " is null in the input");
                } else {
                    Reference.assertClose(Reference.softmaxRow(Reference.matmulRow(x.get(r), w)), y.get(r), 1e-6, 1e-4,
                            where + ": row " + r);
                }
            }
        }
    }
}
