package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.Ops;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transformer over cached DataFrames, whose rows it reads from the cache's column buffers
 * ({@link CachedColumnRows}): the plans that take that path and those that do not, every column
 * of the input kept as it was (compressed ones too), against the float64 reference and bit for bit
 * against Spark's own scan of the same cache ({@code spark.numarrow.cachedColumns} false).
 */
class CachedColumnRowsTest {
    private static final int D = 17;
    private static final int H = 15;
    private static final int ROWS = 1000;
    private static final int NULL_EVERY = 7;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Path weights;
    private static List<FeatureRow> rows;
    private static float[][] w;
    private final List<Dataset<Row>> cachedHere = new ArrayList<>();

    @BeforeAll
    static void start() {
        spark = SparkTestData.session("CachedColumnRowsTest");
        SparkTestData.Inputs in = SparkTestData.writeInputs(dir, ROWS, D, H, NULL_EVERY);
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

    @AfterEach
    void uncache() {
        cachedHere.forEach(Dataset::unpersist);
        spark.conf().unset(SparkSettings.CACHED_COLUMNS);
    }

    private Dataset<Row> cached(Dataset<Row> df) {
        Dataset<Row> c = df.cache();
        cachedHere.add(c);
        assertTrue(c.count() >= 0); // filled now, as users usually do before scoring
        return c;
    }

    private static NumarrowTransformer transformer(Ops ops) {
        return new NumarrowTransformer().setInputCol("features").setOutputCol("scores").setOps(ops.toString())
                .setWeightsPath(weights.toString());
    }

    private static SparkPlan plan(Dataset<Row> df) {
        return ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution().executedPlan();
    }

    /** {@code rows} with two more columns: a label that repeats (compressed in the cache) and a name. */
    private static Dataset<Row> withMoreColumns(List<FeatureRow> input, int partitions) {
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("label", DataTypes.IntegerType, true)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, true), true)
                .add("name", DataTypes.StringType, true);
        List<Row> list = new ArrayList<>();
        for (FeatureRow r : input) {
            list.add(RowFactory.create(r.id(), r.id() % 11 == 0 ? null : (int) (r.id() / 100), r.features(),
                    r.id() % 5 == 0 ? null : "row-" + r.id()));
        }
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(list, partitions),
                schema);
    }

    @Test
    @Timeout(90)
    void aCachedFrameIsScoredFromTheCacheAndKeepsEveryColumn() {
        Dataset<Row> df = cached(withMoreColumns(rows, 3));
        assertNotNull(CachedColumnRows.of(plan(df)), "a plain scan of the cache is read from its buffers: "
                + plan(df));

        List<Row> fromCache = transformer(Ops.MATMUL_SOFTMAX).setBatchRows(64).transform(df).collectAsList();
        spark.conf().set(SparkSettings.CACHED_COLUMNS, "false");
        List<Row> throughSpark = transformer(Ops.MATMUL_SOFTMAX).setBatchRows(64).transform(df).collectAsList();

        SparkTestData.assertMatchesReference("from the cache", rows,
                SparkTestData.outputById(fromCache, "id", "scores"), w, Ops.MATMUL_SOFTMAX);
        Map<Long, Row> spark = byId(throughSpark);
        assertEquals(ROWS, fromCache.size());
        for (Row r : fromCache) {
            Row s = spark.get(r.getLong(0));
            assertEquals(s.schema(), r.schema());
            for (int c = 0; c < 4; c++) {
                assertEquals(s.get(c) == null ? null : String.valueOf(s.get(c)),
                        r.get(c) == null ? null : String.valueOf(r.get(c)), "id " + r.getLong(0) + " column " + c);
            }
            assertEquals(s.isNullAt(4), r.isNullAt(4));
            if (!r.isNullAt(4)) {
                assertArrayEquals(floats(s.getList(4)), floats(r.getList(4)), 0f, "the same bits either way, id "
                        + r.getLong(0));
            }
        }
    }

    @Test
    @Timeout(60)
    void prunedAndReorderedColumnsOfACacheAndVectorsDenseAndSparse() {
        StructType schema = new StructType().add("id", DataTypes.LongType, false).add("other", DataTypes.DoubleType)
                .add("features", SQLDataTypes.VectorType(), true);
        List<Row> vectorRows = new ArrayList<>();
        List<FeatureRow> sample = rows.subList(0, 255);
        for (FeatureRow r : sample) {
            Vector v = null;
            if (r.features() != null) {
                double[] values = new double[D];
                for (int i = 0; i < D; i++) {
                    values[i] = r.features()[i];
                }
                v = r.id() % 3 == 0 ? Vectors.dense(values).toSparse() : Vectors.dense(values);
            }
            vectorRows.add(RowFactory.create(r.id(), (double) r.id(), v));
        }
        Dataset<Row> df = cached(spark.createDataFrame(vectorRows, schema).repartition(2));
        Dataset<Row> reordered = df.select("features", "id");
        assertNotNull(CachedColumnRows.of(plan(reordered)), "pruned and reordered: " + plan(reordered));

        List<Row> out = transformer(Ops.MATMUL).setBatchRows(7).transform(reordered).collectAsList();

        assertEquals(List.of("features", "id", "scores"), List.of(out.get(0).schema().fieldNames()));
        SparkTestData.assertMatchesReference("pruned", sample, SparkTestData.outputById(out, "id", "scores"), w,
                Ops.MATMUL);
        Map<Long, Vector> inputs = new HashMap<>();
        for (Row r : vectorRows) {
            inputs.put(r.getLong(0), (Vector) r.get(2));
        }
        for (Row r : out) {
            assertEquals(inputs.get(r.getLong(1)), r.isNullAt(0) ? null : r.get(0), "the input vector is kept as it was");
        }
    }

    @Test
    @Timeout(60)
    void aFilteredOrUncachedFrameGoesThroughSparksScan() {
        Dataset<Row> plain = SparkTestData.frame(spark, rows, 2);
        assertNull(CachedColumnRows.of(plan(plain)), plan(plain).toString());
        Dataset<Row> df = cached(SparkTestData.frame(spark, rows, 2));
        Dataset<Row> some = df.filter("id % 2 = 0");
        assertNull(CachedColumnRows.of(plan(some)), plan(some).toString());

        List<FeatureRow> even = rows.stream().filter(r -> r.id() % 2 == 0).toList();
        SparkTestData.assertMatchesReference("filtered", even, SparkTestData.outputById(
                transformer(Ops.MATMUL).transform(some).collectAsList(), "id", "scores"), w, Ops.MATMUL);
    }

    @Test
    @Timeout(60)
    void badRowsInACacheFailTheTaskNamingTheRow() {
        List<FeatureRow> bad = new ArrayList<>(rows.subList(0, 10));
        bad.set(5, new FeatureRow(bad.get(5).id(), new float[D - 1]));
        Dataset<Row> df = cached(SparkTestData.frame(spark, bad, 1));
        assertNotNull(CachedColumnRows.of(plan(df)));
        SparkException e = assertThrows(SparkException.class,
                () -> transformer(Ops.MATMUL).transform(df).collectAsList());
        assertTrue(SparkTestData.messages(e).contains("column 'features', partition 0, row 5 (counted from 0 within the partition)"
                + " has 16 values"), SparkTestData.messages(e));

        Dataset<Row> nullInside = cached(spark.createDataFrame(List.of(
                RowFactory.create(1L, new Float[] {1f, 2f}),
                RowFactory.create(2L, new Float[] {1f, null})), SparkTestData.SCHEMA).coalesce(1));
        SparkException e2 = assertThrows(SparkException.class, () -> new NumarrowTransformer().setInputCol("features")
                .setOutputCol("scores").setOps("softmax").transform(nullInside).collectAsList());
        assertTrue(SparkTestData.messages(e2).contains("partition 0, row 1 has a null at element 1"), SparkTestData.messages(e2));
    }

    @Test
    @Timeout(60)
    void aLimitOverACachedFrameAndTheArrowOutput() {
        Dataset<Row> df = cached(SparkTestData.frame(spark, rows, 2));
        Dataset<Row> out = transformer(Ops.MATMUL).setBatchRows(16).transform(df);
        // a task that leaked Arrow memory would fail when its partition's allocator closes
        assertEquals(5, out.limit(5).collectAsList().size());

        Path folder = dir.resolve("arrow-out");
        assertEquals(ROWS, transformer(Ops.MATMUL).setBatchRows(100).writeArrow(df, folder.toString(),
                org.apache.spark.sql.SaveMode.ErrorIfExists));
        Map<Long, float[]> scores = new HashMap<>();
        Map<Long, float[]> features = new HashMap<>();
        try (var parts = java.nio.file.Files.list(folder)) {
            for (Path part : parts.filter(p -> p.toString().endsWith(".arrow")).toList()) {
                for (FeatureRow r : SparkTestData.readFeatures(part, "scores")) {
                    scores.put(r.id(), r.features());
                }
                for (FeatureRow r : SparkTestData.readFeatures(part, "features")) {
                    features.put(r.id(), r.features());
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        SparkTestData.assertMatchesReference("writeArrow from a cache", rows, scores, w, Ops.MATMUL);
        for (FeatureRow r : rows) {
            assertArrayEquals(r.features(), features.get(r.id()), 0f, "the input features as read, id " + r.id());
        }
    }

    private static Map<Long, Row> byId(List<Row> list) {
        Map<Long, Row> m = new HashMap<>();
        for (Row r : list) {
            m.put(r.getLong(0), r);
        }
        return m;
    }

    private static float[] floats(List<Object> list) {
        float[] f = new float[list.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (Float) list.get(i);
        }
        return f;
    }
}
