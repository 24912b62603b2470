package io.numarrow.spark;

import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * numarrow's {@code spark.numarrow.*} settings, read on the driver when a transformer's plan is
 * made (examples/README.md lists them). A param set on the transformer wins over its setting.
 *
 * @param metrics   whether tasks report their figures as named accumulators (Spark's UI)
 * @param batchRows rows per Arrow batch when the transformer's {@code batchRows} is not set
 * @param threads   numarrow threads per executor when the transformer's {@code threads} is not set;
 *                  0 = the executor's cores
 * @param cachedColumns whether a cached DataFrame's rows are read from the cache's column buffers
 *                  ({@link CachedColumnRows}) rather than through Spark's scan of the cache
 * @param ownParquet whether a plain scan of local Parquet files is read by numarrow's own reader on the
 *                  executors ({@link ParquetSplitRows}) rather than by Spark's
 */
record SparkSettings(boolean metrics, int batchRows, int threads, boolean cachedColumns, boolean ownParquet) {
    static final String METRICS = "spark.numarrow.metrics.enabled";
    static final String BATCH_ROWS = "spark.numarrow.batchRows";
    static final String THREADS = "spark.numarrow.threads";
    static final String CACHED_COLUMNS = "spark.numarrow.cachedColumns";
    static final String OWN_PARQUET = "spark.numarrow.ownParquet";

    static SparkSettings of(SparkSession session) {
        RuntimeConfig conf = session.conf();
        return new SparkSettings(
                bool(conf, METRICS, true),
                whole(conf, BATCH_ROWS, NumarrowTransformer.DEFAULT_BATCH_ROWS, 1),
                whole(conf, THREADS, 0, 0),
                bool(conf, CACHED_COLUMNS, true),
                bool(conf, OWN_PARQUET, true));
    }

    private static boolean bool(RuntimeConfig conf, String key, boolean fallback) {
        String value = conf.get(key, Boolean.toString(fallback)).strip();
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new IllegalArgumentException(key + " must be true or false, was '" + value + "'");
    }

    private static int whole(RuntimeConfig conf, String key, int fallback, int min) {
        String value = conf.get(key, Integer.toString(fallback)).strip();
        try {
            int n = Integer.parseInt(value);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what fits
        }
        throw new IllegalArgumentException(key + " must be a whole number of at least " + min + ", was '" + value + "'");
    }
}
