package io.numarrow.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.MatrixFiles;
import io.numarrow.Reference;
import io.numarrow.io.ArrowFiles;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model scored by the job: {@code softmax(x·W + b)} and each row's class, against float64, on odd
 * shapes, with null rows, a NaN row and exact ties (two columns of W and b alike); the weights and the
 * bias from {@code .npy} and Arrow files alike.
 */
@Timeout(120)
class ScoringJobTest {
    private static ThreadPool pool;
    private static ParallelOps ops;
    private BufferAllocator allocator;
    @TempDir
    Path dir;

    @BeforeAll
    static void startPool() {
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
        ops = new ParallelOps(pool);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    /** A model: W[d×h] and b[h], columns 0 and h-1 alike (when h > 2) so that every row ties there. */
    record Model(int d, int h, float[] w, float[] b) {
        static Model random(int d, int h, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] w = new float[d * h];
            float[] b = new float[h];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextDouble(-1, 1);
            }
            for (int j = 0; j < h; j++) {
                b[j] = (float) random.nextDouble(-2, 2);
            }
            if (h > 2) {
                // a top class tied everywhere: column h-1 a copy of column 0, both lifted far above the rest
                for (int p = 0; p < d; p++) {
                    w[p * h + h - 1] = w[p * h];
                }
                b[0] = 40;
                b[h - 1] = 40;
            }
            return new Model(d, h, w, b);
        }

        double[] margins(float[] x) {
            double[] z = Reference.matmul(x, w, b, null, 1, h, d, false);
            return z;
        }
    }

    @ParameterizedTest(name = "{0} rows, d={1}, h={2}, {3}")
    @CsvSource({"1,5,1,npy", "17,9,2,arrow", "255,33,3,npy", "255,17,1000,arrow", "17,256,16,npy", "255,64,2,npy"})
    void scoresAndClassesMatchFloat64(int rows, int d, int h, String format) throws Exception {
        Model model = Model.random(d, h, rows * 31L + h);
        float[][] x = features(rows, d, 7);
        Path input = MatrixFiles.writeFeatures(dir.resolve("x.arrow"), allocator, d, x);
        Path w = format.equals("npy") ? MatrixFiles.writeNpy(dir.resolve("w.npy"), "(" + d + ", " + h + ")", model.w())
                : MatrixFiles.writeArrow(dir.resolve("w.arrow"), allocator, d, h, model.w());
        Path b = format.equals("npy") ? MatrixFiles.writeNpy(dir.resolve("b.npy"), "(" + h + ",)", model.b())
                : MatrixFiles.writeArrow(dir.resolve("b.arrow"), allocator, 1, h, model.b());
        for (Ops op : List.of(Ops.MATMUL_SOFTMAX_ARGMAX, Ops.MATMUL_ARGMAX, Ops.MATMUL_SOFTMAX)) {
            Path out = dir.resolve("out-" + op.name() + ".arrow");
            ComputeJob.Result r = ComputeJob.run(new ComputeJob.Spec(input, w, out, "features", op, "output")
                    .withBias(b).withPredictionColumn("cls"), ops, allocator);
            assertEquals(rows, r.rows());
            List<double[]> scores = Reference.readRows(out, "output", allocator);
            List<Integer> classes = op.argmax() ? readClasses(out, "cls") : null;
            for (int i = 0; i < rows; i++) {
                String where = op + ", row " + i;
                if (x[i] == null) {
                    assertNull(scores.get(i), where + ": a null row stays null");
                    if (classes != null) {
                        assertNull(classes.get(i), where + ": a null row has no class");
                    }
                    continue;
                }
                double[] z = model.margins(x[i]);
                boolean nanRow = Double.isNaN(z[0]);
                double[] expected = op.softmax() ? Reference.softmaxRow(z) : z;
                if (nanRow) {
                    for (double v : scores.get(i)) {
                        assertTrue(Double.isNaN(v), where + ": NaN in, NaN out");
                    }
                } else {
                    Reference.assertClose(expected, scores.get(i), op.softmax() ? 2e-6 : 1e-5 * Math.sqrt(d),
                            op.softmax() ? 1e-4 : 1e-5, where);
                }
                if (classes != null) {
                    if (nanRow) {
                        assertNull(classes.get(i), where + ": a NaN row has no class");
                    } else {
                        assertClass(expected, z, h, classes.get(i), where);
                    }
                }
            }
        }
    }

    /** The class is float64's, except where the top two margins are too close for float32 to tell apart. */
    private static void assertClass(double[] expected, double[] margins, int h, Integer actual, String where) {
        int best = 0;
        for (int j = 1; j < h; j++) {
            best = margins[j] > margins[best] ? j : best;
        }
        if (h > 2) {
            assertEquals(0, best, where + ": the fixture's tie (columns 0 and h-1) is the top");
        }
        double second = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < h; j++) {
            if (j != best && !(h > 2 && best == 0 && j == h - 1)) {
                second = Math.max(second, margins[j]);
            }
        }
        if (margins[best] - second < 1e-4 * Math.max(1, Math.abs(margins[best]))) {
            return; // a near-tie that is not the exact one the fixture made: either class is right
        }
        assertEquals(best, actual, where + ": class (exact ties go to the lowest index) of " + java.util.Arrays.toString(expected));
    }

    /** Rows of values in [-1, 1); every 5th row null, row 3 (when there is one) holds a NaN. */
    private static float[][] features(int rows, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] x = new float[rows][];
        for (int i = 0; i < rows; i++) {
            if (i % 5 == 4) {
                continue;
            }
            x[i] = new float[d];
            for (int p = 0; p < d; p++) {
                x[i][p] = (float) random.nextDouble(-1, 1);
            }
        }
        if (rows > 3) {
            x[3][d / 2] = Float.NaN;
        }
        return x;
    }

    private List<Integer> readClasses(Path file, String column) throws Exception {
        List<Integer> classes = new ArrayList<>();
        try (ArrowReader reader = ArrowFiles.read(file, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertEquals(new ArrowType.Int(32, true), root.getSchema().findField(column).getType(), "an int32 column");
            while (reader.loadNextBatch()) {
                IntVector v = (IntVector) root.getVector(column);
                for (int r = 0; r < root.getRowCount(); r++) {
                    classes.add(v.isNull(r) ? null : v.get(r));
                }
            }
        }
        return classes;
    }

    /** The old ways of making a job keep working; a bias without a matmul, or clashing names, are refused. */
    @Test
    void specsOldAndNew() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        SyntheticData.writeFeatures(x, allocator, 40, 8, 2, 7, 1);
        SyntheticData.writeWeights(w, allocator, 8, 4, 2);
        ComputeJob.Spec six = new ComputeJob.Spec(x, w, dir.resolve("o6.arrow"), "features", Ops.MATMUL_SOFTMAX, "output");
        assertNull(six.bias());
        assertEquals("prediction", six.predictionColumn());
        ComputeJob.run(six, ops, allocator);
        ComputeJob.Spec eight = new ComputeJob.Spec(x, w, dir.resolve("o8.arrow"), null, Ops.MATMUL_ARGMAX, null, false, null);
        ComputeJob.run(eight, ops, allocator);
        try (ArrowReader reader = ArrowFiles.read(eight.output(), allocator)) {
            assertEquals(List.of("output", "prediction"), reader.getVectorSchemaRoot().getSchema().getFields().stream()
                    .map(f -> f.getName()).toList());
        }
        BadInputException e = assertThrows(BadInputException.class,
                () -> new ComputeJob.Spec(x, null, dir.resolve("o.arrow"), null, Ops.SOFTMAX, null).withBias(w));
        assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("softmax"), e.getMessage());
        // without argmax the prediction column's name is unused: an input column of that name is no clash
        Path unused = dir.resolve("o-unused.arrow");
        ComputeJob.run(new ComputeJob.Spec(x, w, unused, null, Ops.MATMUL, null).withPredictionColumn("label"), ops, allocator);
        assertTrue(Files.exists(unused));
    }

    @Test
    void clashesAndBadBiasAreBadInput() throws Exception {
        Path x = dir.resolve("x.arrow");
        Path w = dir.resolve("w.arrow");
        SyntheticData.writeFeatures(x, allocator, 40, 8, 2, 7, 1);
        SyntheticData.writeWeights(w, allocator, 8, 4, 2);
        Path out = dir.resolve("out.arrow");
        ComputeJob.Spec spec = new ComputeJob.Spec(x, w, out, "features", Ops.MATMUL_SOFTMAX_ARGMAX, "output");
        BadInputException e = assertThrows(BadInputException.class,
                () -> ComputeJob.run(spec.withPredictionColumn("label"), ops, allocator));
        assertTrue(e.getMessage().contains("'label'") && e.getMessage().contains("prediction column"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> spec.withPredictionColumn("output"));
        assertTrue(e.getMessage().contains("'output'"), e.getMessage());
        Path shortBias = MatrixFiles.writeNpy(dir.resolve("b.npy"), "(5,)", new float[5]);
        e = assertThrows(BadInputException.class, () -> ComputeJob.run(spec.withBias(shortBias), ops, allocator));
        assertTrue(e.getMessage().contains("b.npy") && e.getMessage().contains("5 values") && e.getMessage().contains("8×4")
                && e.getMessage().contains("h=4"), e.getMessage());
        assertTrue(Files.notExists(out), "nothing written");
    }
}
