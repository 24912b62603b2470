package io.numarrow.spark;

import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * The one place that reaches below Spark's public Dataset API: a DataFrame's rows in Spark's own
 * binary form ({@code InternalRow}), and a DataFrame made from such rows. Going through
 * {@code Row} objects instead would box every float of every feature array; here an
 * {@code array<float>} value is one memory copy into Arrow and one back. A cached DataFrame's rows
 * are read from the cache's own buffers ({@link CachedColumnRows}).
 */
final class CatalystFrames {
    private CatalystFrames() {
    }

    /**
     * @param fromCache read a cached DataFrame's rows from the cache's column buffers
     *                  ({@link CachedColumnRows}) where its plan is a plain scan of the cache
     */
    static RDD<InternalRow> internalRows(Dataset<?> dataset, boolean fromCache) {
        org.apache.spark.sql.execution.QueryExecution execution = classic(dataset).queryExecution();
        RDD<InternalRow> cached = fromCache ? CachedColumnRows.of(execution.executedPlan()) : null;
        return cached != null ? cached : execution.toRdd();
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
