package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.numarrow.BadInputException;
import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.interop.NodeTools;
import io.numarrow.io.ArrowFiles;
import io.numarrow.spark.SparkTestData.FeatureRow;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NumarrowTransformer#writeArrow} in local mode with task retries ({@code local[2,2]}): the
 * first attempt of one partition fails after it wrote part of its file, Spark runs it again, and the
 * folder holds every row once, right against the float64 reference, read by numarrow's reader and
 * by Arrow JS.
 */
class ArrowOutputTest {
    private static final int D = 17;
    private static final int H = 3;
    private static final int ROWS = 1017;
    private static final int PARTITIONS = 4;
    private static final int BATCH_ROWS = 100;
    private static final int NULL_EVERY = 7;
    private static final int FAILING_PARTITION = 1;
    /** The failing attempt's rows before it fails: two whole batches written, the third being filled. */
    private static final int FAIL_AFTER = 2 * BATCH_ROWS + 17;
    /** Rows seen by each task attempt, for the failing one (the filter runs in this JVM in local mode). */
    private static final Map<Long, AtomicInteger> SEEN = new ConcurrentHashMap<>();
    /** The size of the failing attempt's file when it failed. */
    private static final Map<String, Long> FAILED_FILE = new ConcurrentHashMap<>();

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static List<FeatureRow> rows;
    private static List<FeatureRow> expected;
    private static float[][] w;
    private static Path out;
    private static long written;

    @BeforeAll
    static void writeOnce() {
        spark = SparkSession.builder().master("local[2,2]").appName("ArrowOutputTest")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
        Path arrow = dir.resolve("features.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(arrow, allocator, ROWS, D, 3, NULL_EVERY, 5);
            SyntheticData.writeWeights(dir.resolve("weights.arrow"), allocator, D, H, 11);
        }
        rows = SparkTestData.readFeatures(arrow, "features");
        w = SparkTestData.readWeights(dir.resolve("weights.arrow"));
        // the last partition's rows filtered out: an empty partition writes no file
        long lastStart = (long) ROWS * (PARTITIONS - 1) / PARTITIONS;
        expected = rows.stream().filter(r -> r.id() < lastStart).toList();
        Dataset<Row> input = SparkTestData.frame(spark, rows, PARTITIONS);
        Dataset<Row> gated = input.filter(failOnce(dir.resolve("out").toString()).apply(functions.col("id")))
                .filter(functions.col("id").lt(lastStart));
        out = dir.resolve("out");
        written = transformer().writeArrow(gated, out.toString(), SaveMode.ErrorIfExists);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static NumarrowTransformer transformer() {
        return new NumarrowTransformer().setInputCol("features").setOutputCol("scores")
                .setOps("matmul,softmax,argmax").setPredictionCol("class")
                .setWeightsPath(dir.resolve("weights.arrow").toString()).setBatchRows(BATCH_ROWS);
    }

    /** Lets every row through, but the first attempt of one partition fails once it wrote two batches. */
    private static org.apache.spark.sql.expressions.UserDefinedFunction failOnce(String output) {
        UDF1<Long, Boolean> pass = id -> {
            TaskContext task = TaskContext.get();
            if (task.partitionId() == FAILING_PARTITION && task.attemptNumber() == 0
                    && SEEN.computeIfAbsent(task.taskAttemptId(), a -> new AtomicInteger()).incrementAndGet() > FAIL_AFTER) {
                String name = ArrowOutputFolder.attemptFile(FAILING_PARTITION, task.taskAttemptId());
                FAILED_FILE.put(name, Files.size(Path.of(output, ArrowOutputFolder.TEMPORARY, name)));
                throw new IllegalStateException("injected failure of the first attempt");
            }
            return Boolean.TRUE;
        };
        return functions.udf(pass, DataTypes.BooleanType).asNondeterministic();
    }

    @Test
    void everyRowOnceRightAgainstTheFloat64ReferenceThoughAnAttemptFailed() throws IOException {
        assertEquals(1, FAILED_FILE.size(), "the first attempt of partition " + FAILING_PARTITION + " failed");
        assertTrue(FAILED_FILE.values().iterator().next() > 0, "it had written batches when it failed: " + FAILED_FILE);
        assertEquals(expected.size(), written, "rows written, as writeArrow counts them");
        List<String> names;
        try (Stream<Path> files = Files.list(out)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("_SUCCESS", "part-00000.arrow", "part-00001.arrow", "part-00002.arrow"), names,
                "one file per non-empty partition, _temporary gone");

        Map<Long, float[]> scores = new HashMap<>();
        Map<Long, float[]> features = new HashMap<>();
        Map<Long, Integer> classes = new HashMap<>();
        for (String name : names.subList(1, names.size())) {
            readPart(out.resolve(name), scores, features, classes);
        }
        SparkTestData.assertMatchesReference("writeArrow", expected, scores, w, Ops.MATMUL_SOFTMAX);
        for (FeatureRow row : expected) {
            assertArrayEquals(row.features(), features.get(row.id()), "features kept, id " + row.id());
            if (row.features() == null) {
                assertNull(classes.get(row.id()), "a null row has no class, id " + row.id());
                continue;
            }
            double[] ref = SparkTestData.reference(row.features(), w, Ops.MATMUL_SOFTMAX);
            int best = 0;
            for (int c = 1; c < H; c++) {
                best = ref[c] > ref[best] ? c : best;
            }
            assertEquals(best, classes.get(row.id()), "class, id " + row.id());
        }
    }

    /** The id, features, scores and class of every row of one file, each id once in all files. */
    private static void readPart(Path file, Map<Long, float[]> scores, Map<Long, float[]> features,
                                 Map<Long, Integer> classes) {
        try (BufferAllocator allocator = new RootAllocator(); ArrowReader reader = ArrowFiles.read(file, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertEquals(List.of("id", "features", "scores", "class"),
                    root.getSchema().getFields().stream().map(f -> f.getName()).toList(), file.toString());
            while (reader.loadNextBatch()) {
                assertTrue(root.getRowCount() <= BATCH_ROWS, "batches of at most batchRows rows");
                BigIntVector ids = (BigIntVector) root.getVector("id");
                IntVector cls = (IntVector) root.getVector("class");
                float[] x = column(root, "features", file);
                float[] y = column(root, "scores", file);
                for (int r = 0; r < root.getRowCount(); r++) {
                    long id = ids.get(r);
                    assertFalse(scores.containsKey(id), "id " + id + " written twice");
                    boolean isNull = TensorColumns.floatListColumn(root, "features", file.toString()).isNull(r);
                    scores.put(id, isNull ? null : java.util.Arrays.copyOfRange(y, r * H, (r + 1) * H));
                    features.put(id, isNull ? null : java.util.Arrays.copyOfRange(x, r * D, (r + 1) * D));
                    assertEquals(isNull, TensorColumns.floatListColumn(root, "scores", file.toString()).isNull(r));
                    classes.put(id, cls.isNull(r) ? null : cls.get(r));
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] column(VectorSchemaRoot root, String name, Path file) {
        FixedSizeListVector list = TensorColumns.floatListColumn(root, name, file.toString());
        try (Tensor t = TensorColumns.view(list)) {
            return t.toArray();
        }
    }

    /** Another implementation, Arrow JS, reads a part file: its columns, ids and scores. */
    @Test
    void arrowJsReadsAPartFile() throws Exception {
        NodeTools.installed(); // skips where Node.js is missing
        Path part = out.resolve("part-00001.arrow");
        JsonNode read = NodeTools.readTable("read-arrow.mjs", part, dir.resolve("read.json"), "id", "scores");
        Map<Long, float[]> byId = new HashMap<>();
        JsonNode ids = read.get("columns").get("id");
        JsonNode values = read.get("columns").get("scores");
        for (int r = 0; r < ids.size(); r++) {
            JsonNode v = values.get(r);
            float[] y = null;
            if (!v.isNull()) {
                y = new float[v.size()];
                for (int c = 0; c < y.length; c++) {
                    y[c] = (float) v.get(c).asDouble();
                }
            }
            byId.put(ids.get(r).asLong(), y);
        }
        List<FeatureRow> inPart = new ArrayList<>();
        for (FeatureRow row : expected) {
            if (byId.containsKey(row.id())) {
                inPart.add(row);
            }
        }
        assertTrue(inPart.size() > 2 * BATCH_ROWS, "the part holds its partition's rows: " + inPart.size());
        SparkTestData.assertMatchesReference("Arrow JS reading " + part, inPart, byId, w, Ops.MATMUL_SOFTMAX);
    }

    @Test
    void anExistingOutputIsRefusedOrOverwrittenAsTheModeSays() throws IOException {
        Path folder = dir.resolve("modes");
        Dataset<Row> input = SparkTestData.frame(spark, rows.subList(0, 40), 2);
        assertEquals(40, transformer().writeArrow(input, folder.toString(), SaveMode.ErrorIfExists));
        BadInputException exists = assertThrows(BadInputException.class,
                () -> transformer().writeArrow(input, folder.toString(), SaveMode.ErrorIfExists));
        assertTrue(exists.getMessage().contains("'" + folder + "' already exists"), exists.getMessage());
        BadInputException append = assertThrows(BadInputException.class,
                () -> transformer().writeArrow(input, folder.toString(), SaveMode.Append));
        assertTrue(append.getMessage().contains("mode Append is not supported"), append.getMessage());

        assertEquals(17, transformer().writeArrow(input.limit(17), folder.toString(), SaveMode.Overwrite));
        Map<Long, float[]> scores = new HashMap<>();
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.filter(p -> p.toString().endsWith(".arrow")).toList()) {
                readPart(p, scores, new HashMap<>(), new HashMap<>());
            }
        }
        assertEquals(17, scores.size(), "the folder holds the second write alone");
    }

    /** {@code ScoreJob --output-format arrow}: Parquet in, Arrow files out, every row once. */
    @Test
    void scoreJobWritesArrowFiles() throws IOException {
        Path parquet = dir.resolve("input.parquet");
        SparkTestData.frame(spark, rows, 3).write().parquet(parquet.toString());
        Path folder = dir.resolve("score-job");
        long scored = ScoreJob.run(spark, ScoreJob.parse(new String[] {"--input", parquet.toString(),
                "--weights", dir.resolve("weights.arrow").toString(), "--output", folder.toString(),
                "--output-col", "scores", "--output-format", "arrow", "--batch-rows", "64"}));
        assertEquals(ROWS, scored);
        Map<Long, float[]> byId = new HashMap<>();
        int read = 0;
        try (Stream<Path> parts = Files.list(folder)) {
            for (Path p : parts.filter(p -> p.toString().endsWith(".arrow")).toList()) {
                for (FeatureRow row : SparkTestData.readFeatures(p, "scores")) {
                    byId.put(row.id(), row.features());
                    read++;
                }
            }
        }
        assertEquals(ROWS, read, "every row once");
        SparkTestData.assertMatchesReference("ScoreJob --output-format arrow", rows, byId, w, Ops.MATMUL_SOFTMAX);
    }

    @Test
    void opsWithoutWeightsAndMarginsAreRefusedBeforeAnyTask() {
        Dataset<Row> input = SparkTestData.frame(spark, rows.subList(0, 10), 1);
        IllegalArgumentException softmax = assertThrows(IllegalArgumentException.class,
                () -> new NumarrowTransformer().setInputCol("features").setOps("softmax")
                        .writeArrow(input, dir.resolve("softmax").toString(), SaveMode.ErrorIfExists));
        assertTrue(softmax.getMessage().contains("ops 'softmax' have no matmul"), softmax.getMessage());
        IllegalArgumentException margins = assertThrows(IllegalArgumentException.class,
                () -> transformer().setRawPredictionCol("raw")
                        .writeArrow(input, dir.resolve("margins").toString(), SaveMode.ErrorIfExists));
        assertTrue(margins.getMessage().contains("writes no rawPrediction column"), margins.getMessage());
        assertFalse(Files.exists(dir.resolve("softmax")) || Files.exists(dir.resolve("margins")), "no folder made");
    }
}
