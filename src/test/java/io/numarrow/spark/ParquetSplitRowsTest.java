package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.Ops;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.QueryExecution;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parquet read on the executors by numarrow's own reader ({@link ParquetSplitRows}): files of many
 * row groups split into many small ranges give each partition exactly the rows Spark's own scan gives
 * it, so ranges read by either reader never share or drop a row group; scores against the float64
 * reference with files the own reader declines (gzip) in the same scan; bad rows named as on
 * Spark's path; plans with more than a scan left to Spark.
 */
class ParquetSplitRowsTest {
    private static final int D = 17;
    private static final int H = 15;
    private static final int ROWS = 3000;
    private static final int NULL_EVERY = 7;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Path weights;
    private static List<FeatureRow> rows;
    private static float[][] w;
    /** Snappy files of ~100-row groups (the own reader's) and gzip ones (Spark's reader), in one folder. */
    private static Path mixed;

    @BeforeAll
    static void start() {
        spark = SparkTestData.session("ParquetSplitRowsTest");
        SparkTestData.Inputs in = SparkTestData.writeInputs(dir, ROWS, D, H, NULL_EVERY);
        weights = in.weights();
        rows = in.rows();
        w = in.w();
        mixed = dir.resolve("mixed.parquet");
        int half = ROWS / 2;
        write(rows.subList(0, half), 2, "snappy", mixed, SaveMode.ErrorIfExists);
        write(rows.subList(half, ROWS), 1, "gzip", mixed, SaveMode.Append);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @AfterEach
    void defaults() {
        spark.conf().unset("spark.sql.files.maxPartitionBytes");
        spark.conf().unset("spark.sql.files.openCostInBytes");
        spark.conf().unset(SparkSettings.OWN_PARQUET);
    }

    /** {@code list} as {@code files} Parquet files of small row groups (~8 KiB, about 100 rows). */
    private static void write(List<FeatureRow> list, int files, String codec, Path to, SaveMode mode) {
        SparkTestData.frame(spark, list, files).write().mode(mode).option("compression", codec)
                .option("parquet.block.size", "8192").option("parquet.page.size", "2048").parquet(to.toString());
    }

    /** Ranges of 16 KiB: several per file, several row groups per range, a row group's midpoint deciding its range. */
    private static void smallRanges() {
        spark.conf().set("spark.sql.files.maxPartitionBytes", "16384");
        spark.conf().set("spark.sql.files.openCostInBytes", "1");
    }

    private static NumarrowTransformer transformer(Ops ops) {
        return new NumarrowTransformer().setInputCol("features").setOutputCol("scores").setOps(ops.toString())
                .setWeightsPath(weights.toString());
    }

    @Test
    @Timeout(120)
    void eachPartitionGetsTheRowsSparksScanGivesIt() {
        smallRanges();
        Dataset<Row> df = spark.read().parquet(mixed.toString());
        QueryExecution execution = ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution();
        RDD<InternalRow> sparks = execution.toRdd();
        RDD<InternalRow> own = ParquetSplitRows.of(spark, execution.executedPlan(), sparks, "features", 64);
        assertNotNull(own, "a plain scan of Parquet files: " + execution.executedPlan());

        List<List<Long>> bySpark = idsByPartition(sparks);
        List<List<Long>> byOwn = idsByPartition(own);
        assertTrue(bySpark.size() >= 8, "many ranges: " + bySpark.size());
        assertTrue(bySpark.stream().filter(p -> p.size() > 0).count() >= 6, "most ranges hold rows");
        assertTrue(bySpark.equals(byOwn), "the same rows in the same partitions, in the same order: rows per partition "
                + bySpark.stream().map(List::size).toList() + " by Spark's scan, "
                + byOwn.stream().map(List::size).toList() + " by numarrow's reader");
        assertEquals(ROWS, byOwn.stream().mapToInt(List::size).sum());
    }

    private static List<List<Long>> idsByPartition(RDD<InternalRow> rdd) {
        List<List<Long>> ids = new ArrayList<>(rdd.toJavaRDD().mapPartitions(it -> {
            List<Long> part = new ArrayList<>();
            while (it.hasNext()) {
                part.add(it.next().getLong(0));
            }
            return Collections.singletonList(part).iterator();
        }).collect());
        return ids;
    }

    @Test
    @Timeout(120)
    void scoresFromBothReadersInOneScanAreRightAndOnce() {
        smallRanges();
        Dataset<Row> df = spark.read().parquet(mixed.toString());
        long before = TransformTimes.ownParquetRows();
        List<Row> out = transformer(Ops.MATMUL_SOFTMAX).setBatchRows(50).transform(df).collectAsList();
        long own = TransformTimes.ownParquetRows() - before;

        SparkTestData.assertMatchesReference("own reader and Spark's", rows, SparkTestData.outputById(out, "id", "scores"),
                w, Ops.MATMUL_SOFTMAX);
        // snappy row groups through the own reader (but for a task that also holds a gzip range), gzip ones through Spark's
        assertTrue(own > ROWS / 4 && own <= ROWS / 2, "rows decoded by numarrow's reader: " + own);
        Map<Long, float[]> input = new HashMap<>();
        rows.forEach(r -> input.put(r.id(), r.features()));
        for (Row r : out) {
            float[] features = r.isNullAt(1) ? null : SparkTestData.outputById(List.of(r), "id", "features").get(r.getLong(0));
            assertArrayEquals(input.get(r.getLong(0)), features, 0f, "the input kept as read, id " + r.getLong(0));
        }

        spark.conf().set(SparkSettings.OWN_PARQUET, "false");
        long off = TransformTimes.ownParquetRows();
        List<Row> throughSpark = transformer(Ops.MATMUL_SOFTMAX).setBatchRows(50).transform(df).collectAsList();
        assertEquals(off, TransformTimes.ownParquetRows(), "spark.numarrow.ownParquet=false reads through Spark");
        Map<Long, float[]> a = SparkTestData.outputById(out, "id", "scores");
        Map<Long, float[]> b = SparkTestData.outputById(throughSpark, "id", "scores");
        for (FeatureRow r : rows) {
            assertArrayEquals(b.get(r.id()), a.get(r.id()), 0f, "the same bits either way, id " + r.id());
        }
    }

    @Test
    @Timeout(120)
    void arrowOutputFromTheOwnReader() throws IOException {
        smallRanges();
        Dataset<Row> df = spark.read().parquet(mixed.toString());
        Path folder = dir.resolve("arrow-out");
        long before = TransformTimes.ownParquetRows();
        assertEquals(ROWS, transformer(Ops.MATMUL).setBatchRows(64).writeArrow(df, folder.toString(), SaveMode.ErrorIfExists));
        long own = TransformTimes.ownParquetRows() - before;
        assertTrue(own > ROWS / 4 && own <= ROWS / 2, "rows decoded by numarrow's reader: " + own);
        Map<Long, float[]> scores = new HashMap<>();
        try (var parts = Files.list(folder)) {
            for (Path part : parts.filter(p -> p.toString().endsWith(".arrow")).toList()) {
                for (FeatureRow r : SparkTestData.readFeatures(part, "scores")) {
                    assertNull(scores.put(r.id(), r.features()), "id " + r.id() + " twice");
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        SparkTestData.assertMatchesReference("writeArrow from the own reader", rows, scores, w, Ops.MATMUL);
    }

    @Test
    @Timeout(90)
    void badRowsAreNamedAsOnSparksPath() {
        List<FeatureRow> ragged = new ArrayList<>(rows.subList(0, 40));
        ragged.set(25, new FeatureRow(ragged.get(25).id(), new float[D - 1]));
        Path raggedFile = dir.resolve("ragged.parquet");
        write(ragged, 1, "snappy", raggedFile, SaveMode.ErrorIfExists);
        Dataset<Row> df = spark.read().parquet(raggedFile.toString());
        assertNotNull(ownRows(df));
        SparkException e = assertThrows(SparkException.class,
                () -> transformer(Ops.MATMUL).setBatchRows(10).transform(df).collectAsList());
        assertTrue(SparkTestData.messages(e).contains("column 'features', partition 0, row 25 (counted from 0 within the partition)"
                + " has 16 values, but"), SparkTestData.messages(e));

        Path shortFile = dir.resolve("short.parquet");
        List<FeatureRow> allShort = List.of(new FeatureRow(1, null), new FeatureRow(2, new float[D + 1]));
        write(allShort, 1, "snappy", shortFile, SaveMode.ErrorIfExists);
        SparkException e2 = assertThrows(SparkException.class, () -> transformer(Ops.MATMUL)
                .transform(spark.read().parquet(shortFile.toString())).collectAsList());
        assertTrue(SparkTestData.messages(e2).contains("partition 0, row 1 (counted from 0 within the partition) has 18 values, but the"
                + " weights"), SparkTestData.messages(e2));

        Path nullInside = dir.resolve("null-inside.parquet");
        spark.createDataFrame(List.of(RowFactory.create(1L, new Float[] {1f, 2f}), RowFactory.create(2L, new Float[] {1f, null})),
                SparkTestData.SCHEMA).coalesce(1).write().parquet(nullInside.toString());
        Dataset<Row> withNull = spark.read().parquet(nullInside.toString());
        assertNotNull(ownRows(withNull));
        SparkException e3 = assertThrows(SparkException.class, () -> new NumarrowTransformer().setInputCol("features")
                .setOutputCol("scores").setOps("softmax").transform(withNull).collectAsList());
        assertTrue(SparkTestData.messages(e3).contains("partition 0, row 1 has a null at element 1"), SparkTestData.messages(e3));
    }

    @Test
    @Timeout(90)
    void aFilteredScanGoesThroughSparksReader() {
        Dataset<Row> df = spark.read().parquet(mixed.toString());
        Dataset<Row> even = df.filter("id % 2 = 0");
        assertNull(ownRows(even), "a filter is Spark's to push into its reader");
        List<FeatureRow> expected = rows.stream().filter(r -> r.id() % 2 == 0).toList();
        SparkTestData.assertMatchesReference("filtered", expected, SparkTestData.outputById(
                transformer(Ops.MATMUL).transform(even).collectAsList(), "id", "scores"), w, Ops.MATMUL);
    }

    private static RDD<InternalRow> ownRows(Dataset<Row> df) {
        QueryExecution execution = ((org.apache.spark.sql.classic.Dataset<Row>) df).queryExecution();
        return ParquetSplitRows.of(spark, execution.executedPlan(), execution.toRdd(), "features", 64);
    }
}
