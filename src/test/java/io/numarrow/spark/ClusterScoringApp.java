package io.numarrow.spark;

import io.numarrow.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A user's application, as {@link SparkClusterTest} submits it to the standalone cluster: its own jar,
 * with numarrow shipped beside it through {@code --jars}. It uses numarrow's public API only.
 *
 * <p>In folder {@code DIR} ({@code input.parquet}, {@code weights.arrow}, {@code weights-v2.arrow}):
 * <ol>
 *   <li>job 1 scores the input into {@code out-1}. Its partitions from 2 on wait in a gate until the
 *       file {@code go} exists, so the test can kill an executor while the job is surely unfinished;</li>
 *   <li>job 2 scores it again on the same executors ({@code out-2});</li>
 *   <li>the weights file is replaced by {@code weights-v2.arrow} (a newer version), and job 3 scores
 *       into {@code out-3};</li>
 *   <li>job 4 writes it as Arrow files ({@code out-4}, {@link NumarrowTransformer#writeArrow}); its
 *       partitions from 2 on, once their first batches are written, write {@code gated-PID} and wait
 *       until the file {@code go-arrow} exists, so the test can kill an executor mid-file;</li>
 *   <li>three jobs with bad input print the message numarrow's exception reached the driver with.</li>
 * </ol>
 * Every step prints one line starting with {@code APP }.
 */
public final class ClusterScoringApp {
    private static final int PASSING_PARTITIONS = 2;

    private ClusterScoringApp() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int batchRows = Integer.parseInt(args[1]);
        Path weights = dir.resolve("weights.arrow");
        Path go = dir.resolve("go");
        SparkSession spark = SparkSession.builder().appName("numarrow-cluster-test").getOrCreate();
        try {
            System.out.println("APP started " + spark.sparkContext().applicationId());
            Dataset<Row> input = spark.read().parquet(dir.resolve("input.parquet").toString());
            NumarrowTransformer score = new NumarrowTransformer().setInputCol("features").setOutputCol("scores")
                    .setWeightsPath(weights.toString()).setBatchRows(batchRows);

            score.transform(input.filter(gate(go.toString()).apply(functions.col("id"))))
                    .write().parquet(dir.resolve("out-1").toString());
            System.out.println("APP job 1 done");
            score.transform(input).write().parquet(dir.resolve("out-2").toString());
            System.out.println("APP job 2 done");

            Files.copy(dir.resolve("weights-v2.arrow"), weights, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(weights, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            score.transform(input).write().parquet(dir.resolve("out-3").toString());
            System.out.println("APP job 3 done");

            System.out.println("APP job 4 started");
            score.writeArrow(input.filter(gateAfter(2 * batchRows + 1, dir).apply(functions.col("id"))),
                    dir.resolve("out-4").toString(), SaveMode.ErrorIfExists);
            System.out.println("APP job 4 done");

            badInput(spark, dir, input, batchRows);
        } finally {
            spark.stop();
        }
    }

    /** A filter that lets every row through, once the task's partition may go on. */
    private static UserDefinedFunction gate(String goFile) {
        UDF1<Long, Boolean> pass = id -> {
            if (TaskContext.getPartitionId() >= PASSING_PARTITIONS) {
                while (!Files.exists(Path.of(goFile))) {
                    Thread.sleep(20); // waits for the test's signal; the test decides the order
                }
            }
            return Boolean.TRUE;
        };
        return functions.udf(pass, DataTypes.BooleanType).asNondeterministic();
    }

    /** Rows each task attempt of job 4 has let through (this JVM's tasks). */
    private static final Map<Long, AtomicInteger> PASSED = new ConcurrentHashMap<>();

    /**
     * Job 4's filter: partitions from 2 on let {@code rows} rows through (their first batches are written
     * by then), then write {@code gated-PID} (this executor's PID) into {@code dir} and wait for the file
     * {@code go-arrow}.
     */
    private static UserDefinedFunction gateAfter(int rows, Path dir) {
        String folder = dir.toString();
        UDF1<Long, Boolean> pass = id -> {
            TaskContext task = TaskContext.get();
            if (task.partitionId() >= PASSING_PARTITIONS
                    && PASSED.computeIfAbsent(task.taskAttemptId(), a -> new AtomicInteger()).incrementAndGet() == rows) {
                Files.writeString(Path.of(folder, "gated-" + ProcessHandle.current().pid()), "");
                while (!Files.exists(Path.of(folder, "go-arrow"))) {
                    Thread.sleep(20); // waits for the test's signal; the test decides the order
                }
            }
            return Boolean.TRUE;
        };
        return functions.udf(pass, DataTypes.BooleanType).asNondeterministic();
    }

    private static void badInput(SparkSession spark, Path dir, Dataset<Row> input, int batchRows) throws Exception {
        // The driver finds the file; by the time the tasks run, it is gone.
        Path vanishing = dir.resolve("vanishing-weights.arrow");
        Files.copy(dir.resolve("weights-v2.arrow"), vanishing);
        Dataset<Row> planned = new NumarrowTransformer().setInputCol("features").setOutputCol("scores")
                .setWeightsPath(vanishing.toString()).transform(input);
        Files.delete(vanishing);
        report("missing-weights", () -> planned.count());

        // One row one value short (the first non-null from the sixth on), in one partition.
        StructType schema = input.schema();
        List<Row> rows = new ArrayList<>();
        for (Row r : input.limit(8).collectAsList()) {
            rows.add(r);
        }
        int bad = 5;
        while (rows.get(bad).isNullAt(1)) {
            bad++;
        }
        Row row = rows.get(bad);
        rows.set(bad, RowFactory.create(row.getLong(0), new float[row.getList(1).size() - 1]));
        Dataset<Row> ragged = spark.createDataFrame(rows, schema).coalesce(1);
        report("short-row", () -> new NumarrowTransformer().setInputCol("features").setOutputCol("scores")
                .setWeightsPath(dir.resolve("weights.arrow").toString()).setBatchRows(batchRows)
                .transform(ragged).count());
    }

    private interface Job {
        Object run() throws Exception;
    }

    /** Runs a job that must fail, and prints the message numarrow's exception brought to the driver. */
    private static void report(String name, Job job) {
        try {
            job.run();
            System.out.println("APP bad " + name + ": the job succeeded");
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BadInputException) {
                    System.out.println("APP bad " + name + ": " + t.getMessage().lines().findFirst().orElse(""));
                    return;
                }
            }
            System.out.println("APP bad " + name + ": no BadInputException in " + e);
        }
    }
}
