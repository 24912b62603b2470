package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The transformer in a real Spark {@code local[2]}: its results against {@code numarrow compute}
 * on the same rows (exported to Arrow IPC) and against a float64 reference.
 */
class NumarrowTransformerTest {
    private static final int D = 17;
    private static final int H = 15;
    private static final int ROWS = 1000;
    private static final int NULL_EVERY = 7;
    private static final double TOLERANCE = 1e-6;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Path features;
    private static Path weights;
    private static List<FeatureRow> rows;
    private static float[][] w;

    @BeforeAll
    static void start() {
        spark = SparkTestData.session("NumarrowTransformerTest");
        SparkTestData.Inputs in = SparkTestData.writeInputs(dir, ROWS, D, H, NULL_EVERY);
        features = in.features();
        weights = in.weights();
        rows = in.rows();
        w = in.w();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static NumarrowTransformer transformer(Ops ops) {
        NumarrowTransformer t = new NumarrowTransformer().setInputCol("features").setOutputCol("scores")
                .setOps(ops.toString());
        return ops.needsWeights() ? t.setWeightsPath(weights.toString()) : t;
    }

    private static void assertMatchesReference(List<FeatureRow> input, Map<Long, float[]> out, Ops ops) {
        SparkTestData.assertMatchesReference(ops.toString(), input, out, w, ops);
    }

    @ParameterizedTest
    @EnumSource(Ops.class)
    @Timeout(90)
    void parquetRoundTripEqualsNumarrowCompute(Ops ops) {
        Path parquet = dir.resolve("features-" + ops.name() + ".parquet");
        SparkTestData.frame(spark, rows, 3).write().parquet(parquet.toString());
        Dataset<Row> back = spark.read().parquet(parquet.toString());

        List<Row> result = transformer(ops).setBatchRows(64).transform(back).collectAsList();

        Map<Long, float[]> spark = SparkTestData.outputById(result, "id", "scores");
        Map<Long, float[]> cli = SparkTestData.computeJob(features, ops.needsWeights() ? weights : null, ops,
                dir.resolve("out-" + ops.name() + ".arrow"));
        assertEquals(ROWS, spark.size());
        int nulls = 0;
        for (FeatureRow row : rows) {
            float[] expected = cli.get(row.id());
            float[] actual = spark.get(row.id());
            if (expected == null) {
                assertNull(actual, "id " + row.id() + " is null in numarrow compute's output");
                nulls++;
            } else {
                assertArrayEquals(expected, actual, (float) TOLERANCE, "id " + row.id());
            }
        }
        assertEquals(ROWS / NULL_EVERY, nulls, "the null rows of the data stay null");
        assertMatchesReference(rows, spark, ops);
        if (ops.argmax()) {
            for (Row r : result) {
                int p = r.fieldIndex("prediction");
                float[] scores = spark.get(r.getLong(0));
                if (scores == null) {
                    assertTrue(r.isNullAt(p), "a null row has no class");
                    continue;
                }
                int best = 0;
                for (int j = 1; j < scores.length; j++) {
                    best = scores[j] > scores[best] ? j : best;
                }
                assertEquals(best, r.getDouble(p), 0.0, "id " + r.getLong(0) + ": the class is the largest score's index");
            }
        }
    }

    @Test
    @Timeout(60)
    void mlVectorsDenseAndSparseGiveTheSameAsFloatArrays() {
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", SQLDataTypes.VectorType(), true);
        List<Row> vectorRows = new ArrayList<>();
        List<FeatureRow> sample = rows.subList(0, 100);
        for (FeatureRow r : sample) {
            Vector v = null;
            if (r.features() != null) {
                double[] values = new double[D];
                for (int i = 0; i < D; i++) {
                    values[i] = r.features()[i];
                }
                v = Vectors.dense(values);
                if (r.id() % 2 == 0) {
                    v = v.toSparse();
                }
            }
            vectorRows.add(RowFactory.create(r.id(), v));
        }
        // One row of mostly zeros, stored sparse: the zeros must be written too.
        vectorRows.add(RowFactory.create(1_000_000L, Vectors.sparse(D, new int[] {3, 16}, new double[] {0.5, -2})));
        Dataset<Row> df = spark.createDataFrame(vectorRows, schema).repartition(2);

        Map<Long, float[]> out = SparkTestData.outputById(
                transformer(Ops.MATMUL_SOFTMAX).transform(df).collectAsList(), "id", "scores");

        List<FeatureRow> expectedRows = new ArrayList<>(sample);
        float[] sparse = new float[D];
        sparse[3] = 0.5f;
        sparse[16] = -2f;
        expectedRows.add(new FeatureRow(1_000_000L, sparse));
        assertMatchesReference(expectedRows, out, Ops.MATMUL_SOFTMAX);
    }

    @Test
    @Timeout(60)
    void wrongLengthFailsTheTaskNamingTheRowAndTheLengths() {
        List<FeatureRow> bad = new ArrayList<>(rows.subList(0, 10));
        bad.set(5, new FeatureRow(bad.get(5).id(), new float[D - 1]));
        Dataset<Row> df = SparkTestData.frame(spark, bad, 1);

        SparkException e = assertThrows(SparkException.class,
                () -> transformer(Ops.MATMUL).transform(df).collectAsList());
        String message = SparkTestData.messages(e);
        assertTrue(message.contains("column 'features', partition 0, row 5 (counted from 0 within the partition)"
                + " has 16 values"), message);
        assertTrue(message.contains("are 17×15, so d=17"), message);

        // Softmax alone takes d from the partition's first non-null row (row 0: rows 6 and 13 are null).
        List<FeatureRow> ragged = new ArrayList<>(rows.subList(0, 10));
        ragged.set(8, new FeatureRow(ragged.get(8).id(), new float[D + 3]));
        SparkException e2 = assertThrows(SparkException.class,
                () -> transformer(Ops.SOFTMAX).transform(SparkTestData.frame(spark, ragged, 1)).collectAsList());
        String message2 = SparkTestData.messages(e2);
        assertTrue(message2.contains("partition 0, row 8 (counted from 0 within the partition) has 20 values,"
                + " but row 0, the first non-null row of the partition, has d=17"), message2);
    }

    @Test
    @Timeout(60)
    void aNullElementInsideARowFailsTheTask() {
        Dataset<Row> df = spark.createDataFrame(List.of(
                RowFactory.create(1L, new Float[] {1f, 2f}),
                RowFactory.create(2L, new Float[] {1f, null})), SparkTestData.SCHEMA).coalesce(1);
        SparkException e = assertThrows(SparkException.class,
                () -> transformer(Ops.SOFTMAX).transform(df).collectAsList());
        assertTrue(SparkTestData.messages(e).contains("partition 0, row 1 has a null at element 1"), SparkTestData.messages(e));

        Dataset<Row> empty = spark.createDataFrame(List.of(RowFactory.create(1L, new Float[0])),
                SparkTestData.SCHEMA).coalesce(1);
        SparkException e2 = assertThrows(SparkException.class,
                () -> transformer(Ops.SOFTMAX).transform(empty).collectAsList());
        assertTrue(SparkTestData.messages(e2).contains("partition 0, row 0 has 0 values; softmax needs at least one"),
                SparkTestData.messages(e2));
    }

    @Test
    @Timeout(60)
    void emptyPartitionsAndAnEmptyFrame() {
        List<FeatureRow> three = List.of(rows.get(0), rows.get(6), rows.get(1)); // rows.get(6) is null
        assertNull(three.get(1).features());
        Dataset<Row> df = SparkTestData.frame(spark, three, 8); // 5 of 8 partitions empty
        assertEquals(8, df.rdd().getNumPartitions());

        Map<Long, float[]> out = SparkTestData.outputById(
                transformer(Ops.MATMUL_SOFTMAX).transform(df).collectAsList(), "id", "scores");
        assertMatchesReference(three, out, Ops.MATMUL_SOFTMAX);

        Dataset<Row> empty = SparkTestData.frame(spark, List.of(), 2);
        Dataset<Row> none = transformer(Ops.MATMUL).transform(empty);
        assertEquals(0, none.count());
        assertEquals("scores", none.schema().fields()[2].name());
    }

    @Test
    @Timeout(60)
    void partitionsOfOneRowAndBatchesCutAnywhere() {
        List<FeatureRow> few = rows.subList(0, 9);
        Dataset<Row> onePerPartition = SparkTestData.frame(spark, few, few.size());
        assertEquals(few.size(), onePerPartition.rdd().getNumPartitions());
        Map<Long, float[]> out = SparkTestData.outputById(
                transformer(Ops.MATMUL_SOFTMAX).transform(onePerPartition).collectAsList(), "id", "scores");
        assertMatchesReference(few, out, Ops.MATMUL_SOFTMAX);

        // 200 rows in one partition, in batches of 1, 7 and 199: the last batch is short.
        List<FeatureRow> many = rows.subList(0, 200);
        for (int batch : new int[] {1, 7, 199}) {
            Map<Long, float[]> o = SparkTestData.outputById(transformer(Ops.MATMUL).setBatchRows(batch)
                    .transform(SparkTestData.frame(spark, many, 1)).collectAsList(), "id", "scores");
            assertMatchesReference(many, o, Ops.MATMUL);
        }
    }

    @Test
    @Timeout(60)
    void aPartitionOfOnlyNullRowsGivesNulls() {
        List<FeatureRow> nulls = List.of(new FeatureRow(1, null), new FeatureRow(2, null));
        for (Ops ops : Ops.values()) {
            List<Row> out = transformer(ops).setBatchRows(1).transform(SparkTestData.frame(spark, nulls, 1))
                    .collectAsList();
            assertEquals(2, out.size());
            for (Row r : out) {
                assertTrue(r.isNullAt(2), ops + ": " + r);
            }
        }
    }

    @Test
    @Timeout(60)
    void aLimitThatStopsEarlyFreesTheBatch() {
        Dataset<Row> out = transformer(Ops.MATMUL).setBatchRows(16)
                .transform(SparkTestData.frame(spark, rows, 2));
        // A task that leaked Arrow memory would fail when its partition's allocator closes.
        assertEquals(5, out.limit(5).collectAsList().size());
        assertEquals(ROWS, out.count());
    }

    @Test
    @Timeout(90)
    void aPipelineIsSavedAndLoaded() throws Exception {
        NumarrowTransformer numarrow = transformer(Ops.MATMUL_SOFTMAX).setBatchRows(100).setThreads(2);
        SQLTransformer before = new SQLTransformer().setStatement("SELECT *, id * 2 AS twice FROM __THIS__");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {before, numarrow});
        Dataset<Row> df = SparkTestData.frame(spark, rows.subList(0, 300), 2);
        PipelineModel model = pipeline.fit(df);

        Path saved = dir.resolve("pipeline");
        model.write().overwrite().save(saved.toString());
        PipelineModel loaded = PipelineModel.load(saved.toString());

        NumarrowTransformer stage = (NumarrowTransformer) loaded.stages()[1];
        assertEquals(numarrow.uid(), stage.uid());
        assertEquals("matmul,softmax", stage.getOps());
        assertEquals(weights.toString(), stage.getWeightsPath());
        assertEquals(100, stage.getBatchRows());
        assertEquals(2, stage.getThreads());
        assertEquals("scores", stage.getOutputCol());

        List<Row> fresh = model.transform(df).collectAsList();
        List<Row> again = loaded.transform(df).collectAsList();
        assertEquals(List.of("id", "features", "twice", "scores"), List.of(loaded.transform(df).columns()));
        Map<Long, float[]> a = SparkTestData.outputById(fresh, "id", "scores");
        Map<Long, float[]> b = SparkTestData.outputById(again, "id", "scores");
        assertEquals(a.keySet(), b.keySet());
        a.forEach((id, y) -> assertArrayEquals(y, b.get(id), "id " + id));
        assertMatchesReference(rows.subList(0, 300), b, Ops.MATMUL_SOFTMAX);

        // The transformer alone, through its static load().
        Path alone = dir.resolve("alone");
        numarrow.write().overwrite().save(alone.toString());
        NumarrowTransformer read = NumarrowTransformer.load(alone.toString());
        assertEquals(numarrow.uid(), read.uid());
        assertEquals(numarrow.extractParamMap().toString(), read.extractParamMap().toString());
    }

    @Test
    @Timeout(60)
    void weightsLoadOncePerJvmUntilTheFileChanges() throws Exception {
        Path own = dir.resolve("own-weights.arrow");
        Files.copy(weights, own);
        FileTime firstVersion = Files.getLastModifiedTime(own);
        NumarrowTransformer t = transformer(Ops.MATMUL).setWeightsPath("file://" + own);
        Dataset<Row> df = SparkTestData.frame(spark, rows.subList(0, 50), 2);
        WeightsCache cache = ExecutorResources.get().weights();

        long before = cache.loads();
        long preparedBefore = cache.prepares();
        t.transform(df).collectAsList();
        t.transform(df).collectAsList();
        assertEquals(before + 1, cache.loads(), "two jobs, four tasks, one load");
        assertEquals(preparedBefore + 1, cache.prepares(), "two jobs, four tasks, the weights packed once");

        // New weights at the same path: a newer modification time loads them again.
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeWeights(own, allocator, D, H, 99);
        }
        Files.setLastModifiedTime(own, FileTime.fromMillis(firstVersion.toMillis() + 5000));
        Map<Long, float[]> out = SparkTestData.outputById(t.transform(df).collectAsList(), "id", "scores");
        assertEquals(before + 2, cache.loads());
        float[][] w99 = SparkTestData.readWeights(own);
        FeatureRow first = rows.get(0);
        double[] ref = SparkTestData.reference(first.features(), w99, Ops.MATMUL);
        for (int c = 0; c < H; c++) {
            assertEquals(ref[c], out.get(first.id())[c], 1e-5);
        }
        assertTrue(ExecutorResources.get().poolCount() <= 2, "pools are per JVM, not per task");
    }

    @Test
    @Timeout(60)
    void weightsOnAnotherHadoopFilesystemAreCopiedThroughTheDriversConfiguration() throws Exception {
        // Only the driver's Hadoop configuration knows this scheme: the executors see it through
        // the configuration the transformer ships with the task.
        spark.sparkContext().hadoopConfiguration().set("fs." + SchemeOnLocalDisk.SCHEME + ".impl",
                SchemeOnLocalDisk.class.getName());
        Path remote = dir.resolve("remote-weights.arrow");
        Files.copy(weights, remote);
        long tempsBefore = weightTempFiles();
        NumarrowTransformer t = transformer(Ops.MATMUL_SOFTMAX)
                .setWeightsPath(SchemeOnLocalDisk.SCHEME + "://" + remote);

        Map<Long, float[]> out = SparkTestData.outputById(
                t.transform(SparkTestData.frame(spark, rows.subList(0, 100), 2)).collectAsList(), "id", "scores");

        assertMatchesReference(rows.subList(0, 100), out, Ops.MATMUL_SOFTMAX);
        assertEquals(tempsBefore, weightTempFiles(), "the local copy is deleted once loaded");
    }

    private static long weightTempFiles() throws IOException {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(f -> f.getFileName().toString().startsWith("numarrow-weights-")).count();
        }
    }

    @Test
    @Timeout(30)
    void aMissingWeightsFileFailsOnTheDriver() {
        NumarrowTransformer t = transformer(Ops.MATMUL).setWeightsPath(dir.resolve("nope.arrow").toString());
        Dataset<Row> df = SparkTestData.frame(spark, rows.subList(0, 5), 1);
        Exception e = assertThrows(io.numarrow.BadInputException.class, () -> t.transform(df));
        assertTrue(e.getMessage().contains("nope.arrow': no such file"), e.getMessage());
    }

    @Test
    @Timeout(60)
    void weightsMissingOnTheExecutorFailTheTaskNamingPartitionAndRow() throws Exception {
        // The driver finds the file when the plan is made; by the time the tasks run it is gone.
        Path vanishing = dir.resolve("vanishing.arrow");
        Files.copy(weights, vanishing);
        Dataset<Row> planned = transformer(Ops.MATMUL).setWeightsPath(vanishing.toString())
                .transform(SparkTestData.frame(spark, rows.subList(0, 20), 2));
        Files.delete(vanishing);
        SparkException e = assertThrows(SparkException.class, planned::collectAsList);
        assertTrue(SparkTestData.messages(e).matches("(?s).*NumarrowTransformer: partition [01], row 0: cannot load the weights on"
                + " this executor: [^\\n]*vanishing\\.arrow[^\\n]*no such file.*"), SparkTestData.messages(e));
    }
}
