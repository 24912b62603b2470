package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.compute.ComputeJob;
import io.numarrow.io.parquet.ParquetRanges;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.unsafe.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rows of one partition, transformed: up to {@code batchRows} input rows are copied into an
 * off-heap Arrow batch, computed on the executor's pool, and handed out again as rows with the
 * added columns ({@link AddedColumns}: scores, class, margins) appended. Arrow memory comes from a
 * child of the executor's root allocator that {@link #close()} frees (Arrow then reports any buffer
 * left behind).
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
    /** The margins when they are wanted beside softmax scores; else null (the margins are {@link #out}). */
    private FixedShapeTensorVector raw;
    /** Each row's class (int32, -1 for none) when the ops end in argmax; else null. */
    private IntVector classes;
    private int d = -1;
    private int h;
    private String dSource;

    private final JoinedRow joined = new JoinedRow();
    /** The current batch's time waiting for the input's rows, and whether it holds a non-null row. */
    private long batchUpstream;
    /** The current batch's input decoded before the batch started (ahead, in {@link #hasNext()}). */
    private long batchAhead;
    private boolean batchAnyValues;
    /**
     * The batch's input rows, copied end to end into reused native memory rather than one new array
     * each: native, so that a Vector's doubles are narrowed a vector at a time ({@link FloatWidth}).
     */
    private ArrowBuf arena;
    private long arenaUsed;
    /** Arenas outgrown during this batch: its rows still point into them until the next batch. */
    private final List<ArrowBuf> outgrown = new ArrayList<>();
    private final UnsafeRow[] kept;
    private final GenericInternalRow appended;
    private ScoreValue scoreValue;
    private ScoreValue marginValue;
    private boolean binomial;

    /** Whether the batches are taken as Arrow columns ({@link #nextColumns()}) rather than as rows. */
    private final boolean columnar;

    private int count;
    private int pos;
    private long position;
    private boolean closed;
    /** Whether this task counts among the executor's running ones ({@link ExecutorResources#taskStarted()}). */
    private boolean started;

    /** This task's totals, for its log line and {@link TaskFigures}. */
    private long batches;
    private long upstreamNanos;
    private long toArrowNanos;
    private long toRowsNanos;
    private long toRowsReported;
    private long kernelNanos;
    private long poolWaitNanos;
    private long flops;
    /** Rows whose Parquet numarrow's own reader decoded ({@link SplitBatches}). */
    private long ownParquetRows;

    PartitionTransform(PartitionSpec spec, int partition, Iterator<InternalRow> input) {
        this(spec, partition, input, false);
    }

    /**
     * @param columnar the batches are read as Arrow columns through {@link #nextColumns()} (then the
     *                 weights must be set: they fix the columns' shapes before the first row)
     */
    PartitionTransform(PartitionSpec spec, int partition, Iterator<InternalRow> input, boolean columnar) {
        if (columnar && spec.weights() == null) {
            throw new IllegalArgumentException("columnar batches need the weights: they fix d and h");
        }
        this.columnar = columnar;
        this.spec = spec;
        this.partition = partition;
        this.input = input;
        this.features = new RowFeatures(spec.column(), partition);
        this.rows = new InternalRow[spec.batchRows()];
        this.nullRows = new boolean[spec.batchRows()];
        this.appended = new GenericInternalRow(spec.columns().count());
        this.kept = new UnsafeRow[spec.batchRows()];
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

    /**
     * Fills and computes the next batch, for a caller that takes it as columns ({@link #features()},
     * {@link #scores()}, {@link #classes()}, valid until the next call) instead of as rows; false at
     * the end of the partition. The batch's input rows: {@link #batchRow(int)}.
     */
    boolean nextColumns() {
        if (closed || !input.hasNext()) {
            return false;
        }
        nextBatch();
        pos = count; // handed out as columns, not as rows
        return true;
    }

    /** The rows in the current batch. */
    int batchSize() {
        return count;
    }

    /** Input row {@code r} of the current batch, valid until the next batch. */
    InternalRow batchRow(int r) {
        return rows[r];
    }

    /** The current batch's features, as numarrow computed them (null rows null). */
    FixedShapeTensorVector features() {
        return x;
    }

    /** The current batch's ops result (null rows null). */
    FixedShapeTensorVector scores() {
        return out;
    }

    /** The current batch's classes when the ops end in argmax (null rows and NaN scores null); else null. */
    IntVector classes() {
        return classes;
    }

    /** Rows handed out so far, in all batches. */
    long position() {
        return position;
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
        appendValues(r);
        // Spark's scan of this RDD (RDDScanExec) turns each row into an UnsafeRow at once, so the joined
        // row and the appended values are reused, and a projection of our own would only copy it twice
        InternalRow result = joined.apply(in, appended);
        toRowsNanos += System.nanoTime() - start; // into TransformTimes once per batch: a shared counter per row costs
        return result;
    }

    /** Row {@code r}'s added columns into {@link #appended}: all null for a null input row. */
    private void appendValues(int r) {
        AddedColumns columns = spec.columns();
        int i = 0;
        if (columns.scores() != null) {
            if (nullRows[r]) {
                appended.setNullAt(i++);
            } else {
                appended.update(i++, scoreValue.of(outputAddress(out, r)));
            }
        }
        if (columns.prediction() != null) {
            int c = nullRows[r] ? -1 : Platform.getInt(null, classes.getDataBufferAddress() + (long) r * Integer.BYTES);
            if (c < 0) {
                appended.setNullAt(i++); // a null row, or scores holding NaN
            } else {
                appended.setDouble(i++, c);
            }
        }
        if (columns.margins() != null) {
            FixedShapeTensorVector margins = raw != null ? raw : out;
            if (nullRows[r]) {
                appended.setNullAt(i);
            } else if (binomial) {
                appended.update(i, marginValue.ofMargin(Platform.getFloat(null, outputAddress(margins, r) + Float.BYTES)));
            } else {
                appended.update(i, marginValue.of(outputAddress(margins, r)));
            }
        }
    }

    private long outputAddress(FixedShapeTensorVector column, int r) {
        Float4Vector values = (Float4Vector) column.getUnderlyingVector().getDataVector();
        return values.getDataBufferAddress() + (long) r * h * Float.BYTES;
    }

    private void nextBatch() {
        long start = System.nanoTime();
        if (allocator == null) {
            open();
        }
        if (x != null) {
            TensorColumns.prepare(x, spec.batchRows()); // every row valid again: the last batch set its nulls
        }
        arenaUsed = 0; // every row of the last batch has been handed out
        reportToRows();
        freeOutgrown();
        batchUpstream = 0;
        batchAhead = 0;
        int n = input instanceof SplitBatches split ? fillFromSplit(split) : fillFromRows();
        long upstream = batchUpstream;
        boolean anyValues = batchAnyValues;
        count = n;
        pos = 0;
        long filled = System.nanoTime();
        long waited = 0;
        if (anyValues || x != null && columnar) {
            waited = compute(n); // a batch of null rows too, when its columns are written as they are
        }
        long kernels = System.nanoTime() - filled - waited;
        TransformTimes.batch(n, upstream + batchAhead, filled - start - upstream, waited, kernels);
        upstreamNanos += upstream + batchAhead;
        toArrowNanos += filled - start - upstream;
        batches++;
        kernelNanos += kernels;
        poolWaitNanos += waited;
        if (anyValues && spec.weights() != null) {
            flops += 2L * n * d * h;
        }
    }

    /** The batch from {@link #input}'s rows, one by one; returns their number. */
    private int fillFromRows() {
        int n = 0;
        batchAnyValues = false;
        while (n < spec.batchRows()) {
            long pull = System.nanoTime();
            InternalRow next = input.hasNext() ? input.next() : null;
            batchUpstream += System.nanoTime() - pull;
            if (next == null) {
                break;
            }
            // Upstream operators reuse their row objects; the batch outlives the next call.
            InternalRow row = keep(next, n);
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
                batchAnyValues = true;
            }
            n++;
            position++;
        }
        return n;
    }

    /**
     * The batch numarrow's Parquet reader decoded ({@link SplitBatches}): its features are one block
     * copy into {@link #x}, and its rows stay views of the reader's batch, which is this one (both
     * are {@code batchRows} long and start at the partition's first row). Returns its rows.
     */
    private int fillFromSplit(SplitBatches split) {
        long pull = System.nanoTime();
        boolean got;
        try {
            got = split.takeBatch();
        } catch (ParquetRanges.WrongRowLength e) {
            throw features.wrongLength(e.row(), e.length(), d > 0 ? d : split.d(),
                    d > 0 ? dSource : "row " + position + ", the first non-null row of the partition, has");
        }
        long decoded = split.takeLoadNanos();
        batchUpstream = System.nanoTime() - pull;
        batchAhead = Math.max(0, decoded - batchUpstream); // decoded in hasNext(), before this batch's start
        batchAnyValues = false;
        if (!got) {
            return 0;
        }
        int n = split.batchSize();
        TransformTimes.ownParquet(n);
        ownParquetRows += n;
        FixedSizeListVector f = split.features();
        int first = 0;
        while (first < n && f.isNull(first)) {
            first++;
        }
        if (first < n) {
            if (d < 0) {
                position += first; // startShape names the first non-null row
                startShape(split.d());
                position -= first;
            } else if (split.d() != d) {
                throw features.wrongLength(position + first, split.d(), d, dSource);
            }
            if (x == null) {
                allocateColumns();
            }
            checkNoNullValues(f, n);
            Platform.copyMemory(null, f.getDataVector().getDataBufferAddress(), null, rowAddress(0), (long) n * d * Float.BYTES);
            batchAnyValues = true;
        }
        for (int r = 0; r < n; r++) {
            nullRows[r] = f.isNull(r);
            rows[r] = split.row(r);
        }
        position += n;
        return n;
    }

    /** Fails on a null value inside a non-null row, as {@link RowFeatures} does for rows. */
    private void checkNoNullValues(FixedSizeListVector f, int n) {
        Float4Vector values = (Float4Vector) f.getDataVector();
        if (values.getNullCount() == (long) f.getNullCount() * d) {
            return; // only the null rows' values
        }
        for (int r = 0; r < n; r++) {
            if (!f.isNull(r)) {
                for (int i = 0; i < d; i++) {
                    if (values.isNull(r * d + i)) {
                        throw features.nullElement(position + r, i);
                    }
                }
            }
        }
    }

    /** A copy of {@code row} that lasts until the next batch: in {@link #arena} when it is an UnsafeRow. */
    private InternalRow keep(InternalRow row, int slot) {
        if (row instanceof CachedColumnRows.Row) {
            return row; // made for this row alone, pointing into the cache: it lasts
        }
        if (!(row instanceof UnsafeRow u)) {
            return row.copy();
        }
        int size = u.getSizeInBytes();
        long capacity = arena == null ? 0 : arena.capacity();
        if (arenaUsed + size > capacity) {
            // rows already kept point into the old arena: it is freed at the next batch
            if (arena != null) {
                outgrown.add(arena);
            }
            arena = allocator.buffer(Math.max(Math.max(2 * capacity, 1 << 16), size));
            arenaUsed = 0;
        }
        long address = arena.memoryAddress() + arenaUsed;
        u.writeToMemory(null, address);
        UnsafeRow copy = kept[slot];
        if (copy == null || copy.numFields() != u.numFields()) {
            copy = new UnsafeRow(u.numFields());
            kept[slot] = copy;
        }
        copy.pointTo(null, address, size);
        arenaUsed += (size + 7) & ~7; // an UnsafeRow's size is whole words; stay aligned if not
        return copy;
    }

    private void reportToRows() {
        TransformTimes.toRows(toRowsNanos - toRowsReported);
        toRowsReported = toRowsNanos;
    }

    private void freeOutgrown() {
        for (ArrowBuf b : outgrown) {
            b.close();
        }
        outgrown.clear();
    }

    private void open() {
        ExecutorResources resources = ExecutorResources.get();
        allocator = resources.rootAllocator().newChildAllocator("numarrow-spark-partition-" + partition, 0, Long.MAX_VALUE);
        resources.taskStarted();
        started = true;
        if (spec.weights() != null) {
            weights = acquireWeights(resources);
            Tensor w = weights.weights();
            d = w.rows();
            h = w.cols();
            dSource = spec.weights().describeShape(w.rows(), w.cols()) + ", so";
            binomial = spec.weights() instanceof EmbeddedWeights e && e.binomial();
            if (columnar) {
                allocateColumns(); // the columns are written even when every row of the partition is null
            }
        }
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
        // named as the columns they become, for a writer that takes them as they are
        x = TensorColumns.allocateTensorColumn(spec.column().name(), allocator, spec.batchRows(), d);
        out = TensorColumns.allocateTensorColumn(spec.columns().scores() != null ? spec.columns().scores() : "output",
                allocator, 0, h);
        AddedColumns columns = spec.columns();
        if (columns.margins() != null && spec.ops().softmax()) {
            raw = TensorColumns.allocateTensorColumn("margins", allocator, 0, h);
        }
        if (spec.ops().argmax()) {
            classes = new IntVector(columns.prediction() != null ? columns.prediction() : "prediction", allocator);
            classes.allocateNew(spec.batchRows());
        }
        scoreValue = new ScoreValue(h, columns.vectors(), allocator);
        marginValue = new ScoreValue(h, columns.vectors(), allocator);
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
        // each task computes its own batches on its own thread where Spark already runs one task per core
        ExecutorResources resources = ExecutorResources.get();
        boolean ownThread = resources.onTaskThread(spec.threads());
        ExecutorResources.Compute c = resources.compute(ownThread ? 0 : spec.threads());
        ParallelOps parallel = ownThread ? c.onTaskThread() : c.parallel();
        // The pool already uses every core it has; one batch at a time keeps tasks from
        // oversubscribing it, while other tasks go on converting rows.
        long start = System.nanoTime();
        if (!ownThread) {
            c.lock().lock();
        }
        long waited = System.nanoTime() - start;
        try {
            PreparedWeights w = weights == null ? null : weights.prepared(c.parallel());
            if (raw == null) {
                ComputeJob.computeBatch(spec.ops(), parallel, list, w, out, classes);
            } else {
                marginsAndScores(parallel, list, w, n);
            }
        } finally {
            if (!ownThread) {
                c.lock().unlock();
            }
        }
        return waited;
    }

    /**
     * The margins into {@link #raw}, their softmax into {@link #out}, and with argmax each row's class: the
     * path when both the margins and the probabilities are wanted (the fused one overwrites the margins).
     */
    private void marginsAndScores(ParallelOps parallel, FixedSizeListVector list, PreparedWeights w, int n) {
        TensorColumns.prepare(raw, n);
        try (Tensor xs = TensorColumns.view(list); Tensor zs = TensorColumns.view(raw); Tensor ys = TensorColumns.view(out)) {
            parallel.matmulInto(xs, w, zs);
            parallel.softmaxInto(zs, ys);
            if (classes != null) {
                parallel.argmaxInto(ys, MemorySegment.ofAddress(classes.getDataBufferAddress())
                        .reinterpret((long) n * Integer.BYTES));
            }
        }
    }

    /** The task's figures: one log line, and the accumulators Spark's UI shows. */
    private void report() {
        if (spec.figures() != null) {
            spec.figures().task(position, batches, kernelNanos, flops);
        }
        if (LOG.isInfoEnabled()) {
            LOG.info(String.format("numarrow: partition %d: %,d rows in %d batches, kernels %.1f ms%s,"
                            + " waiting for the pool %.1f ms; rows from upstream (%s) %.1f ms, into Arrow %.1f ms,"
                            + " back to rows %.1f ms", partition, position, batches, kernelNanos / 1e6,
                    flops > 0 && kernelNanos > 0 ? String.format(" (%.1f GFLOP/s)", (double) flops / kernelNanos) : "",
                    poolWaitNanos / 1e6, ownParquetRows > 0 ? "numarrow's Parquet reader" : "the scan", upstreamNanos / 1e6,
                    toArrowNanos / 1e6, toRowsNanos / 1e6));
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (started) {
            ExecutorResources.get().taskEnded();
        }
        Arrays.fill(rows, null);
        Arrays.fill(kept, null);
        count = 0;
        reportToRows();
        report();
        // Vectors and buffers first, then the weights hold, then the allocator: it checks nothing is left.
        try {
            freeOutgrown();
            if (arena != null) {
                arena.close();
            }
            if (scoreValue != null) {
                scoreValue.close();
                marginValue.close();
            }
            if (x != null) {
                x.close();
            }
            if (out != null) {
                out.close();
            }
            if (raw != null) {
                raw.close();
            }
            if (classes != null) {
                classes.close();
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
