package io.numarrow.spark;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that reaches below Spark's public Dataset API: a DataFrame's rows in Spark's own
 * binary form ({@code InternalRow}), and a DataFrame made from such rows. Going through
 * {@code Row} objects instead would box every float of every feature array; here an
 * {@code array<float>} value is one memory copy into Arrow and one back. A cached DataFrame's rows
 * are read from the cache's own buffers ({@link CachedColumnRows}), local Parquet files by numarrow's
 * own reader ({@link ParquetSplitRows}).
 */
final class CatalystFrames {
    private static final Logger LOG = LoggerFactory.getLogger(CatalystFrames.class);

    private CatalystFrames() {
    }

    /**
     * The rows the transform reads: a cached DataFrame's from the cache's column buffers
     * ({@link CachedColumnRows}) where its plan is a plain scan of the cache and
     * {@code settings.cachedColumns()}; a plain scan of local Parquet files through numarrow's own
     * reader ({@link ParquetSplitRows}) where {@code settings.ownParquet()}; else Spark's.
     */
    static RDD<InternalRow> internalRows(Dataset<?> dataset, SparkSettings settings, PartitionSpec spec) {
        org.apache.spark.sql.execution.QueryExecution execution = classic(dataset).queryExecution();
        SparkPlan plan = execution.executedPlan();
        RDD<InternalRow> cached = settings.cachedColumns() ? cachedRows(plan) : null;
        if (cached != null) {
            return cached;
        }
        RDD<InternalRow> rows = execution.toRdd();
        RDD<InternalRow> own = settings.ownParquet() ? ownParquet(dataset.sparkSession(), plan, rows, spec) : null;
        return own != null ? own : rows;
    }

    /** The cache's own rows, or null where the plan is not a plain scan of a cache or this Spark's cache classes differ. */
    private static RDD<InternalRow> cachedRows(SparkPlan plan) {
        try {
            return CachedColumnRows.of(plan);
        } catch (LinkageError e) { // a Spark whose cache internals differ from the one numarrow was built on: Spark's scan
            LOG.debug("reading the cache through Spark's scan: {}", e.toString());
            return null;
        }
    }

    /** The Parquet files' rows through numarrow's reader, or null where the plan or this Spark's scan classes differ. */
    private static RDD<InternalRow> ownParquet(SparkSession session, SparkPlan plan, RDD<InternalRow> rows, PartitionSpec spec) {
        try {
            return ParquetSplitRows.of(session, plan, rows, spec.column().name(), spec.batchRows());
        } catch (LinkageError e) { // a Spark whose scan classes differ from the one numarrow was built on: Spark's reader
            LOG.debug("reading Parquet through Spark's scan: {}", e.toString());
            return null;
        }
    }

    static Dataset<Row> dataFrame(SparkSession session, RDD<InternalRow> rows, StructType schema) {
        if (!(session instanceof org.apache.spark.sql.classic.SparkSession classicSession)) {
            throw unsupported(session.getClass());
        }
        return classicSession.internalCreateDataFrame(rows, schema, false);
    }

    private static org.apache.spark.sql.classic.Dataset<?> classic(Dataset<?> dataset) {
        if (dataset instanceof org.apache.spark.sql.classic.Dataset<?> d) {
            return d;
        }
        throw unsupported(dataset.getClass());
    }

    private static UnsupportedOperationException unsupported(Class<?> what) {
        return new UnsupportedOperationException("NumarrowTransformer needs a classic Spark session (it runs its"
                + " partitions on the executors itself); got " + what.getName()
                + ". Under Spark Connect, register the transformer on the server side.");
    }
}
