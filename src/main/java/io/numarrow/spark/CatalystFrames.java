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
 * are read from the cache's own buffers ({@link CachedColumnRows}).
 */
final class CatalystFrames {
    private static final Logger LOG = LoggerFactory.getLogger(CatalystFrames.class);

    private CatalystFrames() {
    }

    /**
     * @param fromCache read a cached DataFrame's rows from the cache's column buffers
     *                  ({@link CachedColumnRows}) where its plan is a plain scan of the cache
     */
    static RDD<InternalRow> internalRows(Dataset<?> dataset, boolean fromCache) {
        org.apache.spark.sql.execution.QueryExecution execution = classic(dataset).queryExecution();
        RDD<InternalRow> cached = fromCache ? cachedRows(execution.executedPlan()) : null;
        return cached != null ? cached : execution.toRdd();
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
