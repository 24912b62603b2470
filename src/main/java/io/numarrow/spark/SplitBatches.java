package io.numarrow.spark;

import io.numarrow.io.parquet.ParquetRanges;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatchRow;

/**
 * One task's Parquet rows as numarrow's own reader decodes them ({@link ParquetRanges}), in the scan's
 * column order: as Spark rows (views of the current Arrow batch, valid until the next batch is
 * loaded), or, for {@link PartitionTransform}, as whole batches with the features already in Arrow
 * ({@link #takeBatch()}), which spares making a row of every value only to copy it back.
 */
final class SplitBatches implements Iterator<InternalRow>, AutoCloseable {
    private final ParquetRanges reader;
    private final ColumnVector[] columns;
    private final FixedSizeListVector features;
    private int rows;
    private int pos;
    private boolean ended;
    /** A row of the wrong length met while loading ahead (in {@link #hasNext()}), thrown where the batch is taken. */
    private ParquetRanges.WrongRowLength pending;
    /** Time decoding batches since {@link #takeLoadNanos()} last asked: a batch may be loaded ahead, in {@link #hasNext()}. */
    private long loadNanos;

    /**
     * @param scan     the scan's columns, in its order
     * @param features the features column's name
     * @return the batches, or null where the reader's columns are not the scan's (then Spark's reader reads them)
     */
    static SplitBatches of(ParquetRanges reader, StructType scan, String features) {
        VectorSchemaRoot root = reader.root();
        ColumnVector[] columns = new ColumnVector[scan.fields().length];
        FixedSizeListVector list = null;
        for (int i = 0; i < columns.length; i++) {
            StructField f = scan.fields()[i];
            FieldVector v = root.getVector(f.name());
            if (v == null) {
                return null; // another name, e.g. another case: Spark matches those
            }
            if (f.name().equals(features) && v instanceof FixedSizeListVector l) {
                list = l;
                columns[i] = new FloatRowsVector(f.dataType(), l);
            } else if (v instanceof FixedSizeListVector) {
                return null;
            } else {
                columns[i] = new ArrowColumnVector(v);
            }
        }
        return list == null ? null : new SplitBatches(reader, columns, list);
    }

    private SplitBatches(ParquetRanges reader, ColumnVector[] columns, FixedSizeListVector features) {
        this.reader = reader;
        this.columns = columns;
        this.features = features;
    }

    private boolean load() {
        if (ended) {
            return false;
        }
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.killTaskIfInterrupted(); // Spark's own scan checks the same once per batch
        }
        boolean loaded;
        long start = System.nanoTime();
        try {
            loaded = reader.next();
            loadNanos += System.nanoTime() - start;
        } catch (ParquetRanges.WrongRowLength e) {
            pending = e;
            ended = true;
            rows = 0;
            pos = 0;
            return true;
        }
        if (!loaded) {
            ended = true;
            rows = 0;
            pos = 0;
            return false;
        }
        rows = reader.root().getRowCount();
        pos = 0;
        return true;
    }

    @Override
    public boolean hasNext() {
        return pending != null || pos < rows || load() && (rows > 0 || pending != null);
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        if (pending != null) {
            throw pending;
        }
        return row(pos++);
    }

    /**
     * Hands the next whole batch over as columns ({@link #features()}, {@link #row(int)}); false at the
     * end. A batch of which rows were already handed out one by one is not handed over again.
     */
    boolean takeBatch() {
        if (pending == null && pos >= rows && !load()) {
            return false;
        }
        if (pending != null) {
            throw pending;
        }
        if (pos != 0) {
            throw new IllegalStateException("rows of this batch were already taken one by one");
        }
        pos = rows;
        return rows > 0;
    }

    /** The time spent decoding since the last call. */
    long takeLoadNanos() {
        long nanos = loadNanos;
        loadNanos = 0;
        return nanos;
    }

    /** The rows of the batch last taken. */
    int batchSize() {
        return rows;
    }

    /** The features of the batch last taken, {@code FixedSizeList<float32>[d]}. */
    FixedSizeListVector features() {
        return features;
    }

    /** The features' length in the files. */
    int d() {
        return reader.d();
    }

    /** Row {@code r} of the current batch, as a Spark row: valid until the next batch. */
    InternalRow row(int r) {
        ColumnarBatchRow row = new ColumnarBatchRow(columns);
        row.rowId = r;
        return row;
    }

    @Override
    public void close() {
        reader.close();
    }
}
