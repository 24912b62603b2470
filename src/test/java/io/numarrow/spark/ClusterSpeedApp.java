package io.numarrow.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The cluster's warm speed in short windows (docs/performance.md, issue 26): one application whose
 * executors stay up, scoring on request, so that a timing window holds warm jobs only and not the
 * start of three JVMs. It scores once at start (cold, {@code --output-format arrow}); then, for each
 * file {@code FORMAT-RUNS} that appears in {@code CONTROL} ({@code arrow-2}, {@code parquet-1},
 * {@code noop-2}), it runs {@link ScoreJob#run} that many times with that output format, prints each run's
 * rows/s per core and writes them to {@code CONTROL/FORMAT-RUNS.done}; {@code nested-1} and {@code nested-0}
 * turn Spark's vectorized Parquet reader of nested columns on and off for the runs after, {@code own-1} and
 * {@code own-0} numarrow's own Parquet reader ({@code spark.numarrow.ownParquet}). The file
 * {@code stop} ends it.
 *
 * <p>{@code spark-submit ... --class io.numarrow.spark.ClusterSpeedApp numarrow-tests.jar INPUT.parquet
 * WEIGHTS OUTPUT-BASE CONTROL}
 */
public final class ClusterSpeedApp {
    private ClusterSpeedApp() {
    }

    public static void main(String[] args) throws Exception {
        Path control = Path.of(args[3]);
        SparkSession spark = SparkSession.builder().appName("numarrow-cluster-speed").getOrCreate();
        try {
            System.out.println(runs(spark, args, "arrow", 1, "cold"));
            Files.writeString(control.resolve("ready"), "");
            while (!Files.exists(control.resolve("stop"))) {
                try (var requests = Files.list(control)) {
                    for (Path request : requests.filter(p -> p.getFileName().toString().matches("[a-z]+-\\d+")).toList()) {
                        String[] what = request.getFileName().toString().split("-");
                        Files.delete(request);
                        String result = switch (what[0]) {
                            case "nested" -> nested(spark, what[1].equals("1"));
                            case "own" -> ownParquet(spark, what[1].equals("1"));
                            case "scanrows", "scanbatches" -> scans(spark, args[0], what[0], Integer.parseInt(what[1]));
                            default -> runs(spark, args, what[0], Integer.parseInt(what[1]), "warm");
                        };
                        System.out.println(result);
                        Files.writeString(control.resolve(request.getFileName() + ".done"), result);
                    }
                }
                Thread.sleep(100); // polling for the next request; the caller decides when runs happen
            }
        } finally {
            spark.stop();
        }
    }

    /** numarrow's own Parquet reader on the executors ({@link ParquetSplitRows}) on or off, for the runs after. */
    private static String ownParquet(SparkSession spark, boolean on) {
        spark.conf().set(SparkSettings.OWN_PARQUET, Boolean.toString(on));
        return "SPEED " + SparkSettings.OWN_PARQUET + "=" + on + System.lineSeparator();
    }

    /** Spark's vectorized Parquet reader for nested columns (the features' array) on or off, for the runs after. */
    private static String nested(SparkSession spark, boolean on) {
        spark.conf().set("spark.sql.parquet.enableNestedColumnVectorizedReader", Boolean.toString(on));
        return "SPEED spark.sql.parquet.enableNestedColumnVectorizedReader=" + on + System.lineSeparator();
    }

    /**
     * The input alone: as rows into the noop sink ({@code scanrows}, what the transformer's row path
     * receives), or as Spark's columnar batches counted on the executors ({@code scanbatches}, what a
     * columnar input path would read). Parquet's decoding is in both; the rows made from it only in the first.
     */
    private static String scans(SparkSession spark, String input, String how, int runs) {
        int cores = spark.sparkContext().defaultParallelism();
        long total = spark.read().parquet(input).count();
        StringBuilder out = new StringBuilder();
        for (int r = 1; r <= runs; r++) {
            long start = System.nanoTime();
            long rows;
            org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> df = spark.read().parquet(input);
            if (how.equals("scanrows")) {
                df.write().format("noop").mode("overwrite").save();
                rows = total;
            } else {
                var plan = ((org.apache.spark.sql.classic.Dataset<?>) df).queryExecution().executedPlan();
                while (!plan.supportsColumnar() && plan.children().size() == 1) {
                    plan = plan.children().head(); // below the ColumnarToRow Spark puts over the scan
                }
                if (!plan.supportsColumnar()) {
                    return "SPEED scanbatches: the scan is not columnar: " + plan + System.lineSeparator();
                }
                rows = plan.executeColumnar().toJavaRDD().map(b -> (long) b.numRows()).reduce(Long::sum);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            out.append(String.format(Locale.ROOT, "SPEED %s run %d: %,d rows counted, %.3f s: %,.0f rows/s per core%n",
                    how, r, rows, seconds, total / seconds / cores));
        }
        return out.toString();
    }

    private static String runs(SparkSession spark, String[] args, String format, int runs, String label) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("input", args[0]);
        options.put("weights", args[1]);
        options.put("output", args[2] + "-" + format);
        options.put("output-format", format);
        options.put("mode", "overwrite");
        int cores = spark.sparkContext().defaultParallelism();
        StringBuilder out = new StringBuilder();
        for (int r = 1; r <= runs; r++) {
            long start = System.nanoTime();
            long rows = ScoreJob.run(spark, options);
            double seconds = (System.nanoTime() - start) / 1e9;
            out.append(String.format(Locale.ROOT, "SPEED %s %s run %d: %,d rows in %.3f s: %,.0f rows/s per core (%d cores)%n",
                    label, format, r, rows, seconds, rows / seconds / cores, cores));
        }
        return out.toString();
    }
}
