package io.numarrow.spark;

import io.numarrow.BadInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole Spark job around {@link NumarrowTransformer}, for {@code spark-submit}: read a table of
 * feature rows, append {@code ops(features)}, write the result.
 *
 * <pre>
 * spark-submit --class io.numarrow.spark.ScoreJob numarrow.jar \
 *     --input hdfs:///features.parquet --weights hdfs:///W.arrow --output hdfs:///scored.parquet
 * </pre>
 *
 * Options: {@code --input}, {@code --output}, {@code --weights} (required for matmul),
 * {@code --ops} (matmul,softmax), {@code --input-col} (features), {@code --output-col} (output),
 * {@code --batch-rows} (spark.numarrow.batchRows, else 4096), {@code --threads}
 * (spark.numarrow.threads, else 0 = every executor core), {@code --format} (parquet; any Spark source
 * name), {@code --output-format} (the input's; {@code noop} scores without writing; {@code arrow}: Arrow IPC files
 * written by each task straight from numarrow's columns, {@link NumarrowTransformer#writeArrow}),
 * {@code --mode} (errorifexists; or overwrite, append; arrow takes the first two), {@code --runs} (1; more runs score the
 * same input again on the same executors, with {@code --mode overwrite}). Each run prints its rows per
 * second. The master comes from {@code spark-submit --master} or {@code -Dspark.master=local[2]}.
 *
 * <p>Bad input, found on the driver or in a task on an executor, ends the job with one line on
 * stderr and exit status 2; so does an executor started without numarrow's JVM flags.
 */
public final class ScoreJob {
    private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);
    /** The output format written by numarrow itself ({@link NumarrowTransformer#writeArrow}), not by Spark. */
    static final String ARROW = "arrow";
    private static final List<String> OPTIONS = List.of("input", "output", "weights", "ops", "input-col",
            "output-col", "batch-rows", "threads", "format", "output-format", "mode", "runs");

    private ScoreJob() {
    }

    public static void main(String[] args) {
        try {
            Map<String, String> options = parse(args);
            int runs = intOption(options, "runs", 1);
            if (runs < 1 || runs > 1 && !mode(options).equals("Overwrite")) {
                throw new BadInputException("ScoreJob: --runs must be at least 1, and more than 1 needs --mode overwrite;"
                        + " was --runs " + runs + " --mode " + options.getOrDefault("mode", "errorifexists"));
            }
            SparkSession spark = SparkSession.builder().appName("numarrow-score").getOrCreate();
            try {
                for (int run = 1; run <= runs; run++) {
                    timedRun(spark, options, run, runs);
                }
            } finally {
                spark.stop();
            }
        } catch (Exception e) { // Spark's own exceptions are checked ones, thrown from Scala
            Throwable userFixable = userFixable(e);
            if (userFixable == null) {
                throw e;
            }
            System.err.println("numarrow: " + oneLine(userFixable.getMessage()));
            System.exit(2);
        }
    }

    /** One run, and its line: rows per second, in all and per core of the application. */
    private static void timedRun(SparkSession spark, Map<String, String> options, int run, int runs) {
        long start = System.nanoTime();
        long rows = run(spark, options);
        double seconds = (System.nanoTime() - start) / 1e9;
        int cores = spark.sparkContext().defaultParallelism();
        String line = String.format("numarrow: run %d of %d: %,d rows of %s scored into %s in %.2f s: %,.0f rows/s,"
                        + " %,.0f rows/s per core (%d cores)", run, runs, rows, options.get("input"),
                options.get("output"), seconds, rows / seconds, rows / seconds / cores, cores);
        LOG.info(line);
        System.out.println(line);
    }

    /**
     * The exception in {@code e}'s causes that the user can fix: bad input, or an executor without
     * numarrow's JVM flags. A task's exception reaches the driver as the cause of Spark's own.
     */
    static Throwable userFixable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException || t instanceof MissingJvmFlagException) {
                return t;
            }
        }
        return null;
    }

    private static String oneLine(String message) {
        String text = message == null ? "" : message.strip();
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    /** Runs the job on {@code spark}; returns the number of rows written (read back from the output). */
    public static long run(SparkSession spark, Map<String, String> options) {
        String format = options.getOrDefault("format", "parquet");
        NumarrowTransformer transformer = new NumarrowTransformer()
                .setInputCol(options.getOrDefault("input-col", "features"))
                .setOutputCol(options.getOrDefault("output-col", "output"))
                .setOps(options.getOrDefault("ops", "matmul,softmax"));
        if (options.containsKey("batch-rows")) {
            transformer.setBatchRows(intOption(options, "batch-rows", NumarrowTransformer.DEFAULT_BATCH_ROWS));
        }
        if (options.containsKey("threads")) {
            transformer.setThreads(intOption(options, "threads", 0));
        }
        if (options.containsKey("weights")) {
            transformer.setWeightsPath(options.get("weights"));
        }
        String outputFormat = options.getOrDefault("output-format", format);
        Dataset<Row> input = spark.read().format(format).load(options.get("input"));
        if (outputFormat.equals(ARROW)) {
            return transformer.writeArrow(input, options.get("output"), SaveMode.valueOf(mode(options)));
        }
        Dataset<Row> scored = transformer.transform(input);
        scored.write().format(outputFormat).mode(SaveMode.valueOf(mode(options))).save(options.get("output"));
        // noop writes nothing to read back: the rows scored are the input's
        return outputFormat.equals("noop") ? input.count()
                : spark.read().format(outputFormat).load(options.get("output")).count();
    }

    /** {@code --name value} pairs; {@code --input} and {@code --output} are required. */
    static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            String key = args[i].startsWith("--") ? args[i].substring(2) : null;
            if (key == null || !OPTIONS.contains(key)) {
                throw new BadInputException("ScoreJob: unknown option '" + args[i] + "'; the options are --"
                        + String.join(", --", OPTIONS));
            }
            if (i + 1 >= args.length) {
                throw new BadInputException("ScoreJob: option '" + args[i] + "' needs a value");
            }
            options.put(key, args[i + 1]);
        }
        for (String required : List.of("input", "output")) {
            if (!options.containsKey(required)) {
                throw new BadInputException("ScoreJob: --" + required + " is required");
            }
        }
        return options;
    }

    private static int intOption(Map<String, String> options, String key, int fallback) {
        String value = options.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new BadInputException("ScoreJob: --" + key + " must be a whole number, was '" + value + "'", e);
        }
    }

    private static String mode(Map<String, String> options) {
        String mode = options.getOrDefault("mode", "errorifexists").toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "errorifexists", "error" -> "ErrorIfExists";
            case "overwrite" -> "Overwrite";
            case "append" -> "Append";
            case "ignore" -> "Ignore";
            default -> throw new BadInputException("ScoreJob: --mode must be errorifexists, overwrite, append or"
                    + " ignore, was '" + mode + "'");
        };
    }
}
