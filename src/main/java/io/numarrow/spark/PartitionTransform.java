package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.compute.ComputeJob;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.unsafe.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows of one partition, transformed: up to {@code batchRows} input rows are copied into an
 * off-heap Arrow batch, computed on the executor's pool, and handed out again as rows with the
 * output column appended. Arrow memory comes from a child of the executor's root allocator that
 * {@link #close()} frees (Arrow then reports any buffer left behind).
 */
final class PartitionTransform implements Iterator<InternalRow>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionTransform.class);

    private final PartitionSpec spec;
    private final int partition;
    private final Iterator<InternalRow> input;
    private final RowFeatures features;
    private final InternalRow[] rows;
    private final boolean[] nullRows;

    private BufferAllocator allocator;
    private WeightsCache.Lease weights;
    private FixedShapeTensorVector x;
    private FixedShapeTensorVector out;
    private int d = -1;
    private int h;
    private String dSource;

    private UnsafeProjection projection;
    private final JoinedRow joined = new JoinedRow();
    private final GenericInternalRow appended = new GenericInternalRow(1);
    private UnsafeArrayData outValue;
    private long outHeader;

    private int count;
    private int pos;
    private long position;
    private boolean closed;

    /** This task's totals, for its log line and {@link TaskFigures}. */
    private long batches;
    private long upstreamNanos;
    private long toArrowNanos;
    private long toRowsNanos;
    private long kernelNanos;
    private long poolWaitNanos;
    private long flops;

    PartitionTransform(PartitionSpec spec, int partition, Iterator<InternalRow> input) {
        this.spec = spec;
        this.partition = partition;
        this.input = input;
        this.features = new RowFeatures(spec.column(), partition);
        this.rows = new InternalRow[spec.batchRows()];
        this.nullRows = new boolean[spec.batchRows()];
    }

    @Override
    public boolean hasNext() {
        if (pos < count) {
            return true;
        }
        if (closed) {
            return false;
        }
        if (!input.hasNext()) {
            close();
            return false;
        }
        nextBatch();
        return true;
    }

    @Override
    public InternalRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        long start = System.nanoTime();
        int r = pos++;
        InternalRow in = rows[r];
        rows[r] = null;
        if (nullRows[r]) {
            appended.setNullAt(0);
        } else {
            Float4Vector values = (Float4Vector) out.getUnderlyingVector().getDataVector();
            Platform.copyMemory(null, values.getDataBufferAddress() + (long) r * h * Float.BYTES,
                    outValue.getBaseObject(), outValue.getBaseOffset() + outHeader, (long) h * Float.BYTES);
            appended.update(0, outValue);
        }
        // The projection copies into its own (reused) row at once, so outValue can be reused too.
        InternalRow result = projection.apply(joined.apply(in, appended));
        long took = System.nanoTime() - start;
        TransformTimes.toRows(took);
        toRowsNanos += took;
        return result;
    }

    private void nextBatch() {
        long start = System.nanoTime();
        if (allocator == null) {
            open();
        }
        int n = 0;
        boolean anyValues = false;
        long upstream = 0;
        while (n < spec.batchRows()) {
            long pull = System.nanoTime();
            InternalRow next = input.hasNext() ? input.next() : null;
            upstream += System.nanoTime() - pull;
            if (next == null) {
                break;
            }
            // Upstream operators reuse their row objects; the batch outlives the next call.
            InternalRow row = next.copy();
            rows[n] = row;
            boolean isNull = row.isNullAt(spec.column().index());
            nullRows[n] = isNull;
            if (!isNull) {
                if (d < 0) {
                    startShape(features.length(row));
                }
                if (x == null) {
                    allocateColumns();
                }
                features.copy(row, position, d, rowAddress(n), dSource);
                anyValues = true;
            }
            n++;
            position++;
        }
        count = n;
        pos = 0;
        long filled = System.nanoTime();
        long waited = 0;
        if (anyValues) {
            waited = compute(n);
        }
        long kernels = System.nanoTime() - filled - waited;
        TransformTimes.batch(n, upstream, filled - start - upstream, waited, kernels);
        upstreamNanos += upstream;
        toArrowNanos += filled - start - upstream;
        batches++;
        kernelNanos += kernels;
        poolWaitNanos += waited;
        if (anyValues && spec.weights() != null) {
            flops += 2L * n * d * h;
        }
    }

    private void open() {
        ExecutorResources resources = ExecutorResources.get();
        allocator = resources.rootAllocator().newChildAllocator("numarrow-spark-partition-" + partition, 0, Long.MAX_VALUE);
        if (spec.weights() != null) {
            weights = acquireWeights(resources);
            Tensor w = weights.weights();
            d = w.rows();
            h = w.cols();
            dSource = "the weights " + spec.weights().path() + " are " + w.rows() + "×" + w.cols() + ", so";
        }
        projection = UnsafeProjection.create(spec.outputTypes());
    }

    /** The weights, loaded on first use in this JVM; a failure names the partition and row. */
    private WeightsCache.Lease acquireWeights(ExecutorResources resources) {
        try {
            return resources.weights().acquire(spec.weights());
        } catch (BadInputException e) {
            throw new BadInputException("NumarrowTransformer: partition " + partition + ", row " + position
                    + ": cannot load the weights on this executor: " + e.getMessage(), e);
        }
    }

    /** Softmax alone has no weights to fix d: the partition's first non-null row does. */
    private void startShape(int length) {
        if (length == 0) {
            throw new BadInputException("NumarrowTransformer: column '" + spec.column().name()
                    + "', partition " + partition + ", row " + position + " has 0 values; softmax needs at least one");
        }
        d = length;
        h = length;
        dSource = "row " + position + ", the first non-null row of the partition, has";
    }

    private void allocateColumns() {
        x = TensorColumns.allocateTensorColumn("features", allocator, spec.batchRows(), d);
        out = TensorColumns.allocateTensorColumn("output", allocator, 0, h);
        outValue = UnsafeArrayData.fromPrimitiveArray(new float[h]);
        outHeader = UnsafeArrayData.calculateHeaderPortionInBytes(h);
    }

    private long rowAddress(int r) {
        Float4Vector values = (Float4Vector) x.getUnderlyingVector().getDataVector();
        return values.getDataBufferAddress() + (long) r * d * Float.BYTES;
    }

    /** Returns the nanoseconds spent waiting for the pool. */
    private long compute(int n) {
        FixedSizeListVector list = x.getUnderlyingVector();
        list.setValueCount(n);
        for (int r = 0; r < n; r++) {
            if (nullRows[r]) {
                list.setNull(r);
            }
        }
        TensorColumns.prepare(out, n);
        ExecutorResources.Compute c = ExecutorResources.get().compute(spec.threads());
        // The pool already uses every core it has; one batch at a time keeps tasks from
        // oversubscribing it, while other tasks go on converting rows.
        long start = System.nanoTime();
        c.lock().lock();
        long waited = System.nanoTime() - start;
        try {
            ComputeJob.computeBatch(spec.ops(), c.parallel(), list, weights == null ? null : weights.prepared(c.parallel()), out);
        } finally {
            c.lock().unlock();
        }
        // The next batch writes straight into x's buffers again: make every row valid for it.
        TensorColumns.prepare(x, spec.batchRows());
        return waited;
    }

    /** The task's figures: one log line, and the accumulators Spark's UI shows. */
    private void report() {
        if (spec.figures() != null) {
            spec.figures().task(position, batches, kernelNanos, flops);
        }
        if (LOG.isInfoEnabled()) {
            LOG.info(String.format("numarrow: partition %d: %,d rows in %d batches, kernels %.1f ms%s,"
                            + " waiting for the pool %.1f ms; rows from upstream (the scan) %.1f ms, into Arrow %.1f ms,"
                            + " back to rows %.1f ms", partition, position, batches, kernelNanos / 1e6,
                    flops > 0 && kernelNanos > 0 ? String.format(" (%.1f GFLOP/s)", (double) flops / kernelNanos) : "",
                    poolWaitNanos / 1e6, upstreamNanos / 1e6, toArrowNanos / 1e6, toRowsNanos / 1e6));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Arrays.fill(rows, null);
        count = 0;
        report();
        // Vectors first, then the weights hold, then the allocator: it checks nothing is left.
        try {
            if (x != null) {
                x.close();
            }
            if (out != null) {
                out.close();
            }
        } finally {
            try {
                if (weights != null) {
                    weights.close();
                }
            } finally {
                if (allocator != null) {
                    allocator.close();
                }
            }
        }
    }
}
