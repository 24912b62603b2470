package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrices;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * numarrow's per-task figures as Spark sees them (the named accumulators of each finished task, what
 * its UI shows), and the {@code spark.numarrow.*} settings, in {@code local[2]}.
 */
class TaskFiguresTest {
    private static final int D = 17;
    private static final int H = 15;
    private static final int ROWS = 1000;
    private static final int PARTITIONS = 3;

    @TempDir
    static Path dir;
    private static SparkSession spark;
    private static Path weights;
    private static Dataset<Row> frame;
    private static int[] partitionRows;
    private static final List<Map<String, String>> TASKS = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() {
        spark = SparkTestData.session("TaskFiguresTest");
        Path features = dir.resolve("features.arrow");
        weights = dir.resolve("weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(features, allocator, ROWS, D, 2, 9, 3);
            SyntheticData.writeWeights(weights, allocator, D, H, 4);
        }
        List<FeatureRow> rows = SparkTestData.readFeatures(features, "features");
        frame = SparkTestData.frame(spark, rows, PARTITIONS).cache();
        partitionRows = new int[PARTITIONS];
        List<Integer> sizes = frame.javaRDD().glom().map(List::size).collect();
        for (int p = 0; p < PARTITIONS; p++) {
            partitionRows[p] = sizes.get(p);
        }
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                Map<String, String> figures = new HashMap<>();
                for (AccumulableInfo a : CollectionConverters.asJava(end.taskInfo().accumulables())) {
                    if (a.name().isDefined() && a.name().get().startsWith("numarrow ") && a.update().isDefined()) {
                        figures.put(a.name().get(), String.valueOf(a.update().get()));
                    }
                }
                if (!figures.isEmpty()) {
                    figures.put("partition", Integer.toString(end.taskInfo().partitionId()));
                    TASKS.add(figures);
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @AfterEach
    void resetSettings() {
        for (String key : List.of(SparkSettings.METRICS, SparkSettings.BATCH_ROWS, SparkSettings.THREADS)) {
            spark.conf().unset(key);
        }
    }

    /** Runs {@code t} over the frame and returns the figures of its tasks, by partition. */
    private static Map<Integer, Map<String, String>> figuresOf(NumarrowTransformer t) throws Exception {
        TASKS.clear();
        assertEquals(ROWS, t.transform(frame).collectAsList().size());
        spark.sparkContext().listenerBus().waitUntilEmpty();
        Map<Integer, Map<String, String>> byPartition = new HashMap<>();
        for (Map<String, String> task : TASKS) {
            byPartition.put(Integer.parseInt(task.get("partition")), task);
        }
        return byPartition;
    }

    private static NumarrowTransformer transformer(Ops ops) {
        NumarrowTransformer t = new NumarrowTransformer().setOps(ops.toString()).setOutputCol("scores");
        return ops.needsWeights() ? t.setWeightsPath(weights.toString()) : t;
    }

    @Test
    @Timeout(60)
    void eachTaskReportsItsRowsBatchesComputeTimeAndGflops() throws Exception {
        Map<Integer, Map<String, String>> tasks = figuresOf(transformer(Ops.MATMUL_SOFTMAX).setBatchRows(64));
        assertEquals(PARTITIONS, tasks.size(), tasks.toString());
        long total = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            Map<String, String> f = tasks.get(p);
            assertEquals(partitionRows[p], Long.parseLong(f.get(TaskFigures.ROWS)), f.toString());
            assertEquals((partitionRows[p] + 63) / 64, Long.parseLong(f.get(TaskFigures.BATCHES)), f.toString());
            assertTrue(Long.parseLong(f.get(TaskFigures.COMPUTE_MS)) >= 0, f.toString());
            assertTrue(Double.parseDouble(f.get(TaskFigures.GFLOPS)) > 0, f.toString());
            total += Long.parseLong(f.get(TaskFigures.ROWS));
        }
        assertEquals(ROWS, total);
    }

    /** A fitted model's transformer (bias, softmax, argmax), on the pool and on each task's thread, reports the same figures. */
    @Test
    @Timeout(60)
    void aModelsTransformerReportsItsFiguresToo() throws Exception {
        double[] values = new double[H * D];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 7 - 3) * 0.1;
        }
        double[] intercepts = new double[H];
        intercepts[H - 1] = 0.5;
        LogisticRegressionModel model = new LogisticRegressionModel("figures", Matrices.dense(H, D, values),
                Vectors.dense(intercepts), H, true);
        for (int threads : new int[] {0, 1}) {
            Map<Integer, Map<String, String>> tasks = figuresOf(NumarrowTransformer.fromModel(model)
                    .setOutputType("array").setBatchRows(64).setThreads(threads));
            assertEquals(PARTITIONS, tasks.size(), "threads " + threads + ": " + tasks);
            for (int p = 0; p < PARTITIONS; p++) {
                Map<String, String> f = tasks.get(p);
                assertEquals(partitionRows[p], Long.parseLong(f.get(TaskFigures.ROWS)), f.toString());
                assertEquals((partitionRows[p] + 63) / 64, Long.parseLong(f.get(TaskFigures.BATCHES)), f.toString());
                assertTrue(Double.parseDouble(f.get(TaskFigures.GFLOPS)) > 0, f.toString());
            }
        }
    }

    @Test
    @Timeout(60)
    void softmaxAloneHasNoGflops() throws Exception {
        Map<Integer, Map<String, String>> tasks = figuresOf(transformer(Ops.SOFTMAX));
        assertEquals(PARTITIONS, tasks.size());
        tasks.values().forEach(f -> assertTrue(!f.containsKey(TaskFigures.GFLOPS) && f.containsKey(TaskFigures.ROWS),
                f.toString()));
    }

    @Test
    @Timeout(60)
    void settingsGiveDefaultsTheTransformersParamsOverride() throws Exception {
        spark.conf().set(SparkSettings.BATCH_ROWS, "100");
        Map<Integer, Map<String, String>> fromSetting = figuresOf(transformer(Ops.MATMUL));
        Map<Integer, Map<String, String>> fromParam = figuresOf(transformer(Ops.MATMUL).setBatchRows(64));
        for (int p = 0; p < PARTITIONS; p++) {
            assertEquals((partitionRows[p] + 99) / 100, Long.parseLong(fromSetting.get(p).get(TaskFigures.BATCHES)));
            assertEquals((partitionRows[p] + 63) / 64, Long.parseLong(fromParam.get(p).get(TaskFigures.BATCHES)));
        }

        spark.conf().set(SparkSettings.METRICS, "false");
        assertEquals(Map.of(), figuresOf(transformer(Ops.MATMUL)), "no accumulators when metrics are off");
    }

    @Test
    @Timeout(60)
    void aBadSettingIsNamed() {
        spark.conf().set(SparkSettings.BATCH_ROWS, "lots");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transformer(Ops.MATMUL).transform(frame));
        assertEquals("spark.numarrow.batchRows must be a whole number of at least 1, was 'lots'", e.getMessage());
        spark.conf().set(SparkSettings.BATCH_ROWS, "10");
        spark.conf().set(SparkSettings.THREADS, "-1");
        e = assertThrows(IllegalArgumentException.class, () -> transformer(Ops.MATMUL).transform(frame));
        assertEquals("spark.numarrow.threads must be a whole number of at least 0, was '-1'", e.getMessage());
        spark.conf().unset(SparkSettings.THREADS);
        spark.conf().set(SparkSettings.METRICS, "yes");
        e = assertThrows(IllegalArgumentException.class, () -> transformer(Ops.MATMUL).transform(frame));
        assertEquals("spark.numarrow.metrics.enabled must be true or false, was 'yes'", e.getMessage());
    }

    @Test
    void gflopsAddMergeAndReset() {
        GflopsAccumulator a = new GflopsAccumulator();
        assertTrue(a.isZero());
        assertEquals(0.0, a.value());
        a.add(3_000_000_000L, 1_000_000_000L);
        GflopsAccumulator b = a.copy();
        b.add(new long[] {1_000_000_000L, 1_000_000_000L});
        assertEquals(3.0, a.value());
        assertEquals(2.0, b.value(), "4 GFLOP in 2 s");
        a.merge(b);
        assertEquals(7_000_000_000L, a.flops());
        assertEquals(3_000_000_000L, a.nanos());
        assertEquals(2.33, a.value(), "7 GFLOP in 3 s, to three digits");
        GflopsAccumulator slow = new GflopsAccumulator();
        slow.add(170_000, 75_000_000);
        assertEquals(0.00227, slow.value(), "a cold task's rate keeps its digits");
        a.reset();
        assertTrue(a.isZero());
    }
}
