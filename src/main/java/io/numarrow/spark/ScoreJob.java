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
 * {@code --batch-rows} (4096), {@code --threads} (0 = every executor core), {@code --format}
 * (parquet; any Spark source name), {@code --mode} (errorifexists; or overwrite, append).
 * The master comes from {@code spark-submit --master} or {@code -Dspark.master=local[2]}.
 */
public final class ScoreJob {
    private static final Logger LOG = LoggerFactory.getLogger(ScoreJob.class);
    private static final List<String> OPTIONS = List.of("input", "output", "weights", "ops", "input-col",
            "output-col", "batch-rows", "threads", "format", "mode");

    private ScoreJob() {
    }

    public static void main(String[] args) {
        Map<String, String> options = parse(args);
        SparkSession spark = SparkSession.builder().appName("numarrow-score").getOrCreate();
        try {
            long rows = run(spark, options);
            LOG.info("numarrow: scored {} rows of {} into {}", rows, options.get("input"), options.get("output"));
        } finally {
            spark.stop();
        }
    }

    /** Runs the job on {@code spark}; returns the number of rows written. */
    public static long run(SparkSession spark, Map<String, String> options) {
        String format = options.getOrDefault("format", "parquet");
        NumarrowTransformer transformer = new NumarrowTransformer()
                .setInputCol(options.getOrDefault("input-col", "features"))
                .setOutputCol(options.getOrDefault("output-col", "output"))
                .setOps(options.getOrDefault("ops", "matmul,softmax"))
                .setBatchRows(intOption(options, "batch-rows", NumarrowTransformer.DEFAULT_BATCH_ROWS))
                .setThreads(intOption(options, "threads", 0));
        if (options.containsKey("weights")) {
            transformer.setWeightsPath(options.get("weights"));
        }
        Dataset<Row> scored = transformer.transform(spark.read().format(format).load(options.get("input")));
        scored.write().format(format).mode(SaveMode.valueOf(mode(options))).save(options.get("output"));
        return spark.read().format(format).load(options.get("output")).count();
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
