package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.spark.SparkTestData.FeatureRow;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Where a task's batches compute: on its own thread or on the executor's pool, with the same bits. */
class ExecutorResourcesTest {
    @TempDir
    Path dir;

    @Test
    void threadsZeroUsesTheTaskThreadsWhileTasksFillTheCores() {
        assertTrue(ExecutorResources.onTaskThread(1, 1, 8), "threads 1: always the task's thread");
        assertTrue(ExecutorResources.onTaskThread(0, 2, 2), "as many tasks as cores: the task threads");
        assertTrue(ExecutorResources.onTaskThread(0, 3, 2));
        assertFalse(ExecutorResources.onTaskThread(0, 1, 2), "one task on two cores: the pool");
        assertFalse(ExecutorResources.onTaskThread(2, 2, 2), "threads 2 asks for the pool of two");
        assertFalse(ExecutorResources.onTaskThread(0, 0, 1) && ExecutorResources.onTaskThread(3, 9, 2));
    }

    @Test
    @Timeout(90)
    void theTaskThreadAndThePoolGiveTheSameBits() {
        Path features = dir.resolve("features.arrow");
        Path weights = dir.resolve("weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(features, allocator, 1000, 255, 3, 7, 42);
            SyntheticData.writeWeights(weights, allocator, 255, 17, 7);
        }
        List<FeatureRow> rows = SparkTestData.readFeatures(features, "features");
        SparkSession spark = SparkTestData.session("ExecutorResourcesTest");
        try {
            // two partitions run side by side on local[2]'s two cores; one partition runs alone
            Dataset<Row> two = SparkTestData.frame(spark, rows, 2);
            Dataset<Row> one = SparkTestData.frame(spark, rows, 1);
            Map<Long, float[]> first = null;
            for (int threads : new int[] {0, 1, 2}) {
                for (Dataset<Row> df : List.of(two, one)) {
                    Map<Long, float[]> out = SparkTestData.outputById(new NumarrowTransformer().setInputCol("features")
                            .setOutputCol("scores").setOps("matmul,softmax").setWeightsPath(weights.toString())
                            .setBatchRows(100).setThreads(threads).transform(df).collectAsList(), "id", "scores");
                    SparkTestData.assertMatchesReference("threads " + threads, rows, out,
                            SparkTestData.readWeights(weights), Ops.MATMUL_SOFTMAX);
                    if (first == null) {
                        first = out;
                    }
                    for (FeatureRow r : rows) {
                        assertTrue(Arrays.equals(first.get(r.id()), out.get(r.id())),
                                "threads " + threads + ": the same bits, id " + r.id());
                    }
                }
            }
            assertEquals(rows.size(), first.size());
        } finally {
            spark.stop();
        }
    }
}
