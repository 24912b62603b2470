package io.numarrow.spark;

import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.Ops;
import io.numarrow.compute.SyntheticData;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Timed benchmark (not a unit test): the transformer in {@code local[2]} against
 * {@code numarrow compute} ({@link ComputeJob}) on the same rows, {@code rows × d -> h}
 * matmul,softmax. Both run in this JVM, alternating, after a warm-up; each time is the median.
 * Also times a Spark scan alone (read Parquet, no transform) to show what Spark costs by itself,
 * and the transformer's own split ({@link TransformTimes}).
 *
 * <p>Arguments: {@code [rows=1000000] [d=256] [h=256] [reps=3] [workDir=/tmp/numarrow-spark-bench]}.
 * The data is generated once into workDir and reused.
 */
public final class TransformerThroughput {
    private TransformerThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int d = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int h = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path work = Path.of(args.length > 4 ? args[4] : "/tmp/numarrow-spark-bench");
        Files.createDirectories(work);
        String tag = rows + "x" + d + "x" + h;
        Path features = work.resolve("features-" + tag + ".arrow");
        Path weights = work.resolve("weights-" + tag + ".arrow");
        Path parquet = work.resolve("features-" + tag + ".parquet");
        Path cliOut = work.resolve("out-" + tag + ".arrow");

        SparkSession spark = SparkSession.builder().master("local[2]").appName("numarrow-throughput")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            if (!Files.exists(features) || !Files.exists(parquet)) {
                try (BufferAllocator allocator = new RootAllocator()) {
                    SyntheticData.writeFeatures(features, allocator, rows, d, Math.max(1, rows / 16384), 0, 42);
                    SyntheticData.writeWeights(weights, allocator, d, h, 7);
                }
                ArrowToParquet.convert(spark, features, parquet.toString());
            }
            NumarrowTransformer transformer = new NumarrowTransformer().setWeightsPath(weights.toString())
                    .setOps("matmul,softmax").setOutputCol("scores");

            List<Long> cli = new ArrayList<>();
            List<Long> sparkRuns = new ArrayList<>();
            List<Long> scans = new ArrayList<>();
            TransformTimes.Snapshot split = null;
            for (int rep = -1; rep < reps; rep++) { // rep -1 warms up
                long t0 = System.nanoTime();
                try (BufferAllocator allocator = new RootAllocator();
                     ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
                    ComputeJob.run(new ComputeJob.Spec(features, weights, cliOut, "features", Ops.MATMUL_SOFTMAX,
                            "output"), new ParallelOps(pool), allocator);
                }
                long t1 = System.nanoTime();
                Dataset<Row> in = spark.read().parquet(parquet.toString());
                in.write().format("noop").mode("overwrite").save();
                long t2 = System.nanoTime();
                TransformTimes.Snapshot before = TransformTimes.snapshot();
                transformer.transform(spark.read().parquet(parquet.toString()))
                        .write().format("noop").mode("overwrite").save();
                long t3 = System.nanoTime();
                if (rep >= 0) {
                    cli.add(t1 - t0);
                    scans.add(t2 - t1);
                    sparkRuns.add(t3 - t2);
                    split = TransformTimes.snapshot().minus(before);
                }
                System.out.printf("rep %d: numarrow compute %.2f s, Spark scan only %.2f s, Spark + transformer %.2f s%n",
                        rep, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
            }
            double c = median(cli) / 1e9;
            double s = median(sparkRuns) / 1e9;
            double scan = median(scans) / 1e9;
            System.out.printf("%n%,d rows x %d -> %d, matmul,softmax, local[2], median of %d:%n", rows, d, h, reps);
            System.out.printf("  numarrow compute (Arrow file -> Arrow file, 2 threads): %.2f s, %,.0f rows/s%n",
                    c, rows / c);
            System.out.printf("  Spark: Parquet -> transformer -> noop sink:             %.2f s, %,.0f rows/s%n",
                    s, rows / s);
            System.out.printf("  Spark: Parquet scan alone -> noop sink:                 %.2f s%n", scan);
            System.out.printf("  throughput ratio transformer / numarrow compute: %.2f%n", c / s);
            System.out.printf("  transformer split, last run: %s%n", split);
        } finally {
            spark.stop();
        }
    }

    private static double median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
    }
}
