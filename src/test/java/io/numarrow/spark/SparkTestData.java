package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.SyntheticData;
import io.numarrow.compute.Ops;
import io.numarrow.io.ArrowFiles;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Moving test rows between Arrow IPC files (what {@code numarrow compute} reads) and Spark. */
final class SparkTestData {
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true);

    /** One feature row; {@code features} null for a null row. */
    record FeatureRow(long id, float[] features) {
        Row toRow() {
            return RowFactory.create(id, features);
        }
    }

    private SparkTestData() {
    }

    static SparkSession session(String name) {
        return SparkSession.builder()
                .master("local[2]")
                .appName(name)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    /** The {@code id} and {@code features} columns of every batch of an Arrow IPC file. */
    static List<FeatureRow> readFeatures(Path file, String column) {
        List<FeatureRow> rows = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator();
             ArrowReader reader = ArrowFiles.read(file, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                rows.addAll(batchFeatures(root, column, file.toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** The {@code id} and {@code features} columns of the batch loaded in {@code root}; null rows stay null. */
    static List<FeatureRow> batchFeatures(VectorSchemaRoot root, String column, String fileName) {
        BigIntVector ids = (BigIntVector) root.getVector("id");
        FixedSizeListVector list = TensorColumns.floatListColumn(root, column, fileName);
        int d = list.getListSize();
        List<FeatureRow> rows = new ArrayList<>(root.getRowCount());
        try (Tensor t = TensorColumns.view(list)) {
            float[] all = t.toArray();
            for (int r = 0; r < root.getRowCount(); r++) {
                float[] f = null;
                if (!list.isNull(r)) {
                    f = new float[d];
                    System.arraycopy(all, r * d, f, 0, d);
                }
                rows.add(new FeatureRow(ids.get(r), f));
            }
        }
        return rows;
    }

    /** {@code numarrow compute} on {@code input}: the output column by id. */
    static Map<Long, float[]> computeJob(Path input, Path weights, Ops ops, Path output) {
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ComputeJob.run(new ComputeJob.Spec(input, weights, output, "features", ops, "output"),
                    new ParallelOps(pool), allocator);
        }
        Map<Long, float[]> byId = new HashMap<>();
        for (FeatureRow r : readFeatures(output, "output")) {
            byId.put(r.id(), r.features());
        }
        return byId;
    }

    static Dataset<Row> frame(SparkSession spark, List<FeatureRow> rows, int partitions) {
        List<Row> list = rows.stream().map(FeatureRow::toRow).toList();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(list, partitions), SCHEMA);
    }

    /** The output column of collected rows, by id; null rows map to null. */
    static Map<Long, float[]> outputById(List<Row> rows, String idColumn, String outputColumn) {
        Map<Long, float[]> byId = new HashMap<>();
        for (Row row : rows) {
            int o = row.fieldIndex(outputColumn);
            float[] values = null;
            if (!row.isNullAt(o)) {
                List<Object> list = row.getList(o);
                values = new float[list.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (Float) list.get(i);
                }
            }
            byId.put(row.getLong(row.fieldIndex(idColumn)), values);
        }
        return byId;
    }

    /**
     * Every row of {@code input} once in {@code out} (by id): null where the features are null, else
     * {@code ops(features)} within 1e-5 of the float64 reference with {@code w}.
     */
    static void assertMatchesReference(String what, List<FeatureRow> input, Map<Long, float[]> out, float[][] w,
                                       Ops ops) {
        assertEquals(input.size(), out.size(), what + ": one output row per input row");
        for (FeatureRow row : input) {
            assertTrue(out.containsKey(row.id()), what + ": id " + row.id() + " is missing");
            float[] y = out.get(row.id());
            if (row.features() == null) {
                assertNull(y, what + ": null features give a null output, id " + row.id());
                continue;
            }
            assertNotNull(y, what + ": id " + row.id());
            double[] ref = reference(row.features(), w, ops);
            assertEquals(ref.length, y.length, what + ": output length, id " + row.id());
            for (int c = 0; c < y.length; c++) {
                assertEquals(ref[c], y[c], 1e-5, what + ": id " + row.id() + " column " + c + " vs float64 reference");
            }
        }
    }

    /** {@code ops(x)} in float64, the independent reference. */
    static double[] reference(float[] x, float[][] w, Ops ops) {
        double[] y;
        if (ops.needsWeights()) {
            int h = w[0].length;
            float[] flat = new float[w.length * h];
            for (int k = 0; k < w.length; k++) {
                System.arraycopy(w[k], 0, flat, k * h, h);
            }
            y = Reference.matmul(x, flat, null, null, 1, h, x.length, false);
        } else {
            y = Reference.widen(x);
        }
        return ops.softmax() ? Reference.softmaxRow(y) : y;
    }

    /** A test's synthetic input: the files and what they hold. */
    record Inputs(Path features, Path weights, List<FeatureRow> rows, float[][] w) {
    }

    /**
     * {@code features.arrow} ({@code rows×d} in 3 batches, every {@code nullEvery}-th row null, seed 42) and
     * {@code weights.arrow} ({@code d×h}, seed 7) written into {@code dir}, and both read back.
     */
    static Inputs writeInputs(Path dir, int rows, int d, int h, int nullEvery) {
        Path features = dir.resolve("features.arrow");
        Path weights = dir.resolve("weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(features, allocator, rows, d, 3, nullEvery, 42);
            SyntheticData.writeWeights(weights, allocator, d, h, 7);
        }
        return new Inputs(features, weights, readFeatures(features, "features"), readWeights(weights));
    }

    /** The weights file as {@code float[d][h]}. */
    static float[][] readWeights(Path file) {
        try (BufferAllocator allocator = new RootAllocator();
             Tensor w = WeightsFile.load(file, allocator)) {
            float[][] out = new float[w.rows()][w.cols()];
            for (int r = 0; r < w.rows(); r++) {
                for (int c = 0; c < w.cols(); c++) {
                    out[r][c] = w.get(r, c);
                }
            }
            return out;
        }
    }

    /** The messages of {@code e} and its causes, one a line: a task's own message reaches the driver as a cause. */
    static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
