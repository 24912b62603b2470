package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ArrowFileTest;
import io.numarrow.BadInputException;
import io.numarrow.Reference;
import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import io.numarrow.threading.TwoWorkerPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(60)
class ComputeJobTest extends ArrowFileTest {
    @RegisterExtension
    static final TwoWorkerPool POOL = new TwoWorkerPool();
    private static final ParallelOps ops = POOL.parallel();

    /** The batch form given plain weights gives the prepared form's bits, null rows kept, close to float64. */
    @Test
    void computeBatchWithPlainWeightsMatchesThePreparedForm() {
        int rows = 300, d = 70, h = 33;
        SplittableRandom random = new SplittableRandom(5);
        float[] wv = new float[d * h];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = (float) random.nextDouble(-1, 1);
        }
        try (var x = TensorColumns.allocateTensorColumn("x", allocator, rows, d);
             var plain = TensorColumns.allocateTensorColumn("y", allocator, rows, h);
             var prepared = TensorColumns.allocateTensorColumn("y", allocator, rows, h);
             Tensor w = Tensor.fromArray(allocator, d, h, wv);
             PreparedWeights pw = ops.prepare(w)) {
            try (Tensor xs = TensorColumns.view(x)) {
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < d; c++) {
                        xs.set(r, c, (float) random.nextDouble(-1, 1));
                    }
                }
            }
            x.getUnderlyingVector().setNull(17);
            for (Ops op : List.of(Ops.MATMUL, Ops.MATMUL_SOFTMAX)) {
                ComputeJob.computeBatch(op, ops, x.getUnderlyingVector(), w, plain);
                ComputeJob.computeBatch(op, ops, x.getUnderlyingVector(), pw, prepared);
                try (Tensor a = TensorColumns.view(plain);
                     Tensor b = TensorColumns.view(prepared)) {
                    assertArrayEquals(b.toArray(), a.toArray(), op.toString());
                }
                assertTrue(plain.getUnderlyingVector().isNull(17) && !plain.getUnderlyingVector().isNull(16), op.toString());
                TensorColumns.prepare(plain, rows);
                TensorColumns.prepare(prepared, rows);
            }
            ComputeJob.computeBatch(Ops.MATMUL_SOFTMAX, ops, x.getUnderlyingVector(), w, plain);
            List<double[]> wRows = new ArrayList<>();
            for (int p = 0; p < d; p++) {
                double[] row = new double[h];
                for (int j = 0; j < h; j++) {
                    row[j] = wv[p * h + j];
                }
                wRows.add(row);
            }
            try (Tensor xs = TensorColumns.view(x);
                 Tensor y = TensorColumns.view(plain)) {
                for (int r : new int[] {0, 1, 150, 299}) {
                    double[] xr = new double[d];
                    for (int c = 0; c < d; c++) {
                        xr[c] = xs.get(r, c);
                    }
                    double[] want = Reference.softmaxRow(Reference.matmulRow(xr, wRows));
                    for (int j = 0; j < h; j++) {
                        assertEquals(want[j], y.get(r, j), 1e-6 + 1e-5 * want[j], "row " + r + " col " + j);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "rows={0} d={1} h={2} batches={3}")
    @CsvSource({"1,1,1,1", "15,17,1,2", "255,17,15,3", "1000,64,33,7", "17,255,16,17"})
    void matmulSoftmaxMatchesAFloat64ReferenceAndKeepsEverythingElse(int rows, int d, int h, int batches) throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, rows, d, batches, 7, 1);
        SyntheticData.writeWeights(w, allocator, d, h, 2);

        var spec = new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX, "output");
        ComputeJob.Result result = ComputeJob.run(spec, ops, allocator);
        assertEquals(rows, result.rows());

        List<double[]> xs = Reference.readRows(x, "features", allocator);
        List<double[]> ws = Reference.readRows(w, "weights", allocator);
        List<double[]> ys = Reference.readRows(out, "output", allocator);
        assertEquals(rows, ys.size());
        for (int r = 0; r < rows; r++) {
            if (xs.get(r) == null) {
                assertNull(ys.get(r), "null input row " + r + " gives a null output row");
                continue;
            }
            double[] expected = Reference.softmaxRow(Reference.matmulRow(xs.get(r), ws));
            Reference.assertClose(expected, ys.get(r), 1e-5, 1e-4, "row " + r);
        }
        assertBatchesAndColumnsKept(x, out, h);
    }

    private void assertBatchesAndColumnsKept(Path in, Path out, int h) throws Exception {
        List<Integer> inBatches = new ArrayList<>();
        List<String> inLabels = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(in, allocator)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                inBatches.add(root.getRowCount());
                VarCharVector label = (VarCharVector) root.getVector("label");
                for (int i = 0; i < root.getRowCount(); i++) {
                    inLabels.add(label.getObject(i).toString());
                }
            }
        }
        List<Integer> outBatches = new ArrayList<>();
        List<String> outLabels = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(out, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertEquals(List.of("id", "features", "label", "output"),
                    root.getSchema().getFields().stream().map(f -> f.getName()).toList());
            var type = assertInstanceOf(FixedShapeTensorType.class, root.getSchema().findField("output").getType());
            assertEquals(h, type.listSize());
            while (reader.loadNextBatch()) {
                outBatches.add(root.getRowCount());
                VarCharVector label = (VarCharVector) root.getVector("label");
                BigIntVector id = (BigIntVector) root.getVector("id");
                for (int i = 0; i < root.getRowCount(); i++) {
                    outLabels.add(label.getObject(i).toString());
                    assertEquals(Long.parseLong(label.getObject(i).toString().substring(4)), id.get(i));
                }
            }
        }
        assertEquals(inBatches, outBatches, "one output batch per input batch, same sizes");
        assertEquals(inLabels, outLabels, "other columns pass through unchanged");
    }

    @Test
    void softmaxAloneNeedsNoWeights() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, 40, 9, 2, 0, 3);
        ComputeJob.run(new ComputeJob.Spec(x, null, out, null, Ops.SOFTMAX, null), ops, allocator);
        List<double[]> xs = Reference.readRows(x, "features", allocator);
        List<double[]> ys = Reference.readRows(out, "output", allocator);
        for (int r = 0; r < xs.size(); r++) {
            Reference.assertClose(Reference.softmaxRow(xs.get(r)), ys.get(r), 1e-6, 1e-5, "row " + r);
        }
    }

    @Test
    void matmulAloneIsThePlainProduct() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, 33, 20, 3, 5, 4);
        SyntheticData.writeWeights(w, allocator, 20, 6, 5);
        ComputeJob.run(new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL, "output"), ops, allocator);
        List<double[]> xs = Reference.readRows(x, "features", allocator);
        List<double[]> ws = Reference.readRows(w, "weights", allocator);
        List<double[]> ys = Reference.readRows(out, "output", allocator);
        for (int r = 0; r < xs.size(); r++) {
            if (xs.get(r) != null) {
                Reference.assertClose(Reference.matmulRow(xs.get(r), ws), ys.get(r), 1e-5, 1e-4, "row " + r);
            }
        }
    }

    @Test
    void aFileWithZeroRowsGivesAnEmptyOutput() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, 0, 4, 1, 0, 1);
        SyntheticData.writeWeights(w, allocator, 4, 3, 1);
        ComputeJob.Result r = ComputeJob.run(new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX, "output"), ops, allocator);
        assertEquals(0, r.rows());
        assertTrue(Files.exists(out));
        assertEquals(0, Reference.readRows(out, "output", allocator).size());
    }

    @Test
    void mismatchedShapesNameBothFilesAndLeaveNoOutput() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve("out.arrow");
        SyntheticData.writeFeatures(x, allocator, 5, 4, 1, 0, 1);
        SyntheticData.writeWeights(w, allocator, 5, 3, 1);
        BadInputException e = assertThrows(BadInputException.class, () -> ComputeJob.run(
                new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL, "output"), ops, allocator));
        assertTrue(e.getMessage().contains("d=4") && e.getMessage().contains("5 rows"), e.getMessage());
        assertFalse(Files.exists(out));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }

    /** Issue 24 item 3: a failure writing the output names the output and the reason, never the input. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"out.parquet", "out.arrow"})
    void anOutputThatCannotBeRenamedIntoPlaceIsNamed(String name) throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        Path out = dir.resolve(name);
        SyntheticData.writeFeatures(x, allocator, 50, 8, 3, 0, 1);
        SyntheticData.writeWeights(w, allocator, 8, 4, 2);
        // once the first batch is written, a folder with a file in it takes the output's path: no rename
        // may replace it, not even root's
        ComputeJob.Progress folderAppears = (batches, rows) -> {
            if (batches == 1) {
                try {
                    Files.createDirectory(out);
                    Files.writeString(out.resolve("keep"), "mine");
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ComputeJob.run(
                new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX, "output"), ops, allocator, folderAppears));
        assertTrue(e.getMessage().startsWith(out + ": cannot write the output: "), e.getMessage());
        assertFalse(e.getMessage().contains("x.arrow"), "the input is not at fault: " + e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep")), "the folder is left as it was");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out, w, x), files.sorted().toList(), "no temporary file is left behind");
        }
    }
}
