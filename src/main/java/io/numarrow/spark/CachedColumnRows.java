package io.numarrow.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.columnar.CachedBatch;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.columnar.ColumnAccessor;
import org.apache.spark.sql.execution.columnar.DefaultCachedBatch;
import org.apache.spark.sql.execution.columnar.DefaultCachedBatchSerializer;
import org.apache.spark.sql.execution.columnar.InMemoryRelation;
import org.apache.spark.sql.execution.columnar.InMemoryTableScanExec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.UserDefinedType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The rows of a cached DataFrame ({@code df.cache()}) read straight from Spark's in-memory column
 * buffers: each row a fresh {@link Row} whose values point into the cached buffers (a feature
 * vector or array is not copied), where Spark's own scan of a cache holding arrays or vectors
 * copies every value into a row buffer that the next row overwrites, and the transformer then had
 * to copy it again to keep it until its batch was computed. Spark's own decoders
 * ({@code ColumnAccessor}) read the buffers, so every type and compression Spark caches is read as
 * Spark reads it.
 *
 * <p>Taken only where the plan is exactly a scan of the cache (adaptive execution's wrapper aside) with
 * Spark's default cache format and no filter; any other plan goes through Spark's scan ({@link #of}
 * returns null).
 */
final class CachedColumnRows implements FlatMapFunction<Iterator<CachedBatch>, InternalRow> {
    private static final long serialVersionUID = 1L;

    /** The column types as the cache stores them (a UDT as its SQL type), in the scan's column order. */
    private final DataType[] types;
    /** Each scanned column's buffer in a cached batch. */
    private final int[] buffers;

    private CachedColumnRows(DataType[] types, int[] buffers) {
        this.types = types;
        this.buffers = buffers;
    }

    /**
     * A row that the reader made for one row alone and never touches again: it lasts as long as the
     * cache, so a consumer that keeps rows across a batch need not copy it.
     */
    static final class Row extends GenericInternalRow {
        Row(int fields) {
            super(fields);
        }
    }

    /** The scan's rows read from the cached buffers, or null where {@code plan} is not a plain scan of a cache. */
    static RDD<InternalRow> of(SparkPlan plan) {
        if (plan instanceof AdaptiveSparkPlanExec adaptive) {
            // a cache whose own plan shuffles is scanned under adaptive execution, which would only
            // run the scan of the cache as a stage of its own
            plan = adaptive.inputPlan();
        }
        if (!(plan instanceof InMemoryTableScanExec scan) || !scan.predicates().isEmpty()) {
            return null;
        }
        InMemoryRelation relation = scan.relation();
        if (!(relation.cacheBuilder().serializer() instanceof DefaultCachedBatchSerializer)) {
            return null; // another cache format (spark.sql.cache.serializer)
        }
        List<Attribute> cached = CollectionConverters.asJava(relation.output());
        List<Attribute> wanted = CollectionConverters.asJava(scan.attributes());
        DataType[] types = new DataType[wanted.size()];
        int[] buffers = new int[wanted.size()];
        for (int i = 0; i < types.length; i++) {
            Attribute a = wanted.get(i);
            buffers[i] = -1;
            for (int j = 0; j < cached.size(); j++) {
                if (cached.get(j).exprId().equals(a.exprId())) {
                    buffers[i] = j;
                }
            }
            if (buffers[i] < 0) {
                return null;
            }
            types[i] = a.dataType() instanceof UserDefinedType<?> udt ? udt.sqlType() : a.dataType();
        }
        return relation.cacheBuilder().cachedColumnBuffers().toJavaRDD()
                .mapPartitions(new CachedColumnRows(types, buffers)).rdd();
    }

    @Override
    public Iterator<InternalRow> call(Iterator<CachedBatch> batches) {
        return new Iterator<>() {
            private final ColumnAccessor[] columns = new ColumnAccessor[types.length];
            private int left;

            @Override
            public boolean hasNext() {
                while (left == 0) {
                    if (!batches.hasNext()) {
                        return false;
                    }
                    DefaultCachedBatch batch = (DefaultCachedBatch) batches.next();
                    for (int i = 0; i < columns.length; i++) {
                        columns[i] = ColumnAccessor.apply(types[i],
                                ByteBuffer.wrap(batch.buffers()[buffers[i]]).order(ByteOrder.nativeOrder()));
                    }
                    left = batch.numRows();
                }
                return true;
            }

            @Override
            public InternalRow next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row row = new Row(columns.length);
                for (int i = 0; i < columns.length; i++) {
                    columns[i].extractTo(row, i);
                }
                left--;
                return row;
            }
        };
    }
}
