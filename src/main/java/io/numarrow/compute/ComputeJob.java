package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.Settings;
import io.numarrow.io.BatchSink;
import io.numarrow.io.BatchSource;
import io.numarrow.io.FileIdentity;
import io.numarrow.io.FinishTimes;
import io.numarrow.io.Formats;
import io.numarrow.io.InputBatch;
import io.numarrow.io.MappedIpcSink;
import io.numarrow.io.WeightsFile;
import io.numarrow.jit.KernelCompile;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.KernelCompileStart;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code output = ops(features)} for every batch of an input ({@link BatchSource}: an Arrow IPC
 * file or Parquet files, chosen by {@link Formats}): each batch's features column is viewed as a
 * tensor (no copy), run through {@link ParallelOps} straight into the output column, and written
 * with every input column beside it (or alone, see {@link Spec#keepInputColumns()}), one output
 * batch per input batch. The weights are packed once
 * for the whole job ({@link ParallelOps#prepare}). Reading the next batch and writing the previous
 * one overlap with computing the current one ({@link BatchPipeline}), with at most
 * {@link BatchSource#maxInFlight()} batches in memory. The output file appears only when every
 * batch is written. With a bias ({@link Spec#bias()}) every row gets {@code x·W + b}, the bias added
 * inside the matmul tile; with {@code argmax} in the ops each row's class goes into an int32 column
 * of its own ({@link Spec#predictionColumn()}), found while the row is still in cache.
 */
public final class ComputeJob {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeJob.class);

    /**
     * What to compute.
     *
     * @param input            the feature rows: an Arrow IPC file, or a Parquet file, folder or glob
     * @param weights          the weights file, or null for {@link Ops#SOFTMAX} alone
     * @param output           where the result goes
     * @param column           the features column, {@code FixedSizeList<float32>[d]}
     * @param ops              the operations
     * @param outputColumn     the name of the added column
     * @param keepInputColumns write every input column beside the output (the default), or the output column alone
     * @param formats          input and output formats ({@link Formats.Options#AUTO}: from the files)
     * @param bias             a bias row {@code b[h]} added to every row's {@code x·W} (a {@code .npy} of shape
     *                         {@code (h,)} or an Arrow IPC file of one {@code FixedSizeList<float32>[h]} row), or null
     * @param predictionColumn the name of the int32 column {@code argmax} adds ({@code prediction} when null)
     */
    public record Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn,
                       boolean keepInputColumns, Formats.Options formats, Path bias, String predictionColumn) {
        public Spec {
            formats = formats == null ? Formats.Options.AUTO : formats;
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(ops, "ops");
            column = column == null ? "features" : column;
            outputColumn = outputColumn == null ? "output" : outputColumn;
            predictionColumn = predictionColumn == null ? "prediction" : predictionColumn;
            if (ops.needsWeights() && weights == null) {
                throw new BadInputException("ops '" + ops + "' need a weights file (--weights W.arrow or W.npy)");
            }
            if (bias != null && !ops.needsWeights()) {
                throw new BadInputException("a bias (" + bias + ") is added by matmul, and ops '" + ops
                        + "' have none; use --ops matmul,... or leave out the bias");
            }
            if (ops.argmax() && predictionColumn.equals(outputColumn)) {
                throw new BadInputException("the prediction column and the output column are both named '"
                        + outputColumn + "'; name them apart");
            }
        }

        /** No bias, and argmax's column named {@code prediction}. */
        public Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn,
                    boolean keepInputColumns, Formats.Options formats) {
            this(input, weights, output, column, ops, outputColumn, keepInputColumns, formats, null, null);
        }

        /** Every input column is written beside the output; formats told from the input file and the output name. */
        public Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn) {
            this(input, weights, output, column, ops, outputColumn, true, Formats.Options.AUTO);
        }

        /** This spec with a bias row file (null: none). */
        public Spec withBias(Path bias) {
            return new Spec(input, weights, output, column, ops, outputColumn, keepInputColumns, formats, bias,
                    predictionColumn);
        }

        /** This spec with argmax's column named {@code name}. */
        public Spec withPredictionColumn(String name) {
            return new Spec(input, weights, output, column, ops, outputColumn, keepInputColumns, formats, bias, name);
        }
    }

    /**
     * How a run went.
     *
     * @param nanos   wall time of the whole run
     * @param timings where the time went, or null
     */
    public record Result(long rows, int batches, long nanos, Path output, Timings timings) {
        public double seconds() {
            return nanos / 1e9;
        }

        public double rowsPerSecond() {
            return nanos == 0 ? 0 : rows / seconds();
        }
    }

    /**
     * Where a run's time went. Reading and writing overlap with computing (threads of their own, or,
     * for an output computed in place, the pool finishing one batch while it computes the next), so
     * the stage times add up to more than the wall time.
     *
     * @param setupNanos         opening the input, loading and preparing the weights, opening the output
     * @param readNanos          taking batches from the source (the reader thread's busy time; in place: the
     *                           calling thread's, mapped pages being the kernel's read-ahead)
     * @param computeNanos       the calling thread's time computing batches (in place: into the output's columns, {@link MappedIpcSink#columns})
     * @param writeNanos         writing batches: the writer thread's busy time, or in place the pool's time
     *                           finishing them (metadata, input columns copied file to file, write-back started)
     * @param commitNanos        finishing the output: its footer (in place: written up front), the sync to disk, the rename
     * @param firstBatchNanoTime {@link System#nanoTime()} when the first batch began computing (0 if none)
     * @param inPlace            whether the output was computed in place in its mapped file ({@link MappedIpcSink})
     * @param copyNanos          of {@code writeNanos}, copying the input's columns file to file (in place; 0 otherwise)
     * @param writeWaitNanos     the calling thread's wait for writing once its own batch was computed: the
     *                           part of writing the overlap did not hide (in place; 0 otherwise)
     * @param finishing          in place, the batches' finishes piece by piece, wall and CPU ({@link FinishTimes});
     *                           {@link FinishTimes#NONE} otherwise
     */
    public record Timings(long setupNanos, long readNanos, long computeNanos, long writeNanos, long commitNanos,
                          long firstBatchNanoTime, boolean inPlace, long copyNanos, long writeWaitNanos,
                          FinishTimes finishing) {
        public Timings {
            finishing = finishing == null ? FinishTimes.NONE : finishing;
        }

        /** A run written from output buffers by a writer thread. */
        public Timings(long setupNanos, long readNanos, long computeNanos, long writeNanos, long commitNanos,
                       long firstBatchNanoTime) {
            this(setupNanos, readNanos, computeNanos, writeNanos, commitNanos, firstBatchNanoTime, false, 0, 0);
        }

        /** Without the finishes' pieces ({@link FinishTimes#NONE}). */
        public Timings(long setupNanos, long readNanos, long computeNanos, long writeNanos, long commitNanos,
                       long firstBatchNanoTime, boolean inPlace, long copyNanos, long writeWaitNanos) {
            this(setupNanos, readNanos, computeNanos, writeNanos, commitNanos, firstBatchNanoTime, inPlace, copyNanos,
                    writeWaitNanos, FinishTimes.NONE);
        }
    }

    /** Told after each batch is written (from the writer thread); lets a caller show progress. */
    @FunctionalInterface
    public interface Progress {
        void batchDone(int batches, long rows);

        /** Told once, before the first batch, what the input holds (its source's {@link BatchSource#totals()}). */
        default void inputTotals(BatchSource.Totals totals) {
        }

        Progress NONE = (b, r) -> { };
    }

    private ComputeJob() {
    }

    public static Result run(Spec spec, ParallelOps parallel, BufferAllocator allocator) {
        return run(spec, parallel, allocator, Progress.NONE);
    }

    public static Result run(Spec spec, ParallelOps parallel, BufferAllocator allocator, Progress progress) {
        long start = System.nanoTime();
        Formats.Format inFormat = Formats.inputFormat(spec.input(), spec.formats().input());
        Formats.Format outFormat = Formats.outputFormat(spec.output(), spec.formats().output());
        // Opening the source is the one check of the input: its errors come before any weights error,
        // and before the weights are loaded for nothing.
        try (BatchSource source = Formats.openSource(spec.input(), inFormat, spec.column(), allocator)) {
            refuseOutputOverInputs(spec, source);
            try {
                boolean inPlace = outFormat == Formats.Format.ARROW && Settings.outputInPlace();
                return run(spec, source, schema -> Formats.openSink(spec.output(), outFormat, schema,
                        spec.formats().compression(), source, allocator), inPlace, parallel, allocator, progress, start);
            } catch (InternalError e) {
                // a fault reading the mapped input, which shrank under the job: "input file changed while being read"
                throw source.explainFault(e);
            }
        } catch (IOException e) {
            // Formats' sinks report their own failures, naming the output (UncheckedIOException), and
            // the sources name the input in theirs; what is left comes from reading or closing the input.
            throw new BadInputException(spec.input() + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Refuses an output that is the weights file or one of the input's files, by file identity (a
     * link to one, hard or symbolic, too), before anything is loaded or written: its rename at the
     * end would replace them.
     */
    private static void refuseOutputOverInputs(Spec spec, BatchSource source) {
        FileIdentity.refuseOutputOver(spec.output(), "weights file", spec.weights());
        FileIdentity.refuseOutputOver(spec.output(), "input file", spec.input());
        for (Path file : source.files()) {
            FileIdentity.refuseOutputOver(spec.output(), "input file", file);
        }
    }

    /** Opens the sink a job writes to, once the output's schema is known. */
    @FunctionalInterface
    public interface SinkFactory {
        BatchSink open(Schema outputSchema) throws IOException;
    }

    /**
     * The same job over any source and sink (a Parquet file, a set of files): the pipeline, the
     * prepared weights and the checks are the IPC job's. {@code spec}'s input and output only name
     * them in messages and the result. The caller closes {@code source}; the sink is opened,
     * committed and closed here, so a failed run leaves nothing at its path.
     */
    public static Result run(Spec spec, BatchSource source, SinkFactory sinks, ParallelOps parallel,
                             BufferAllocator allocator, Progress progress) throws IOException {
        return run(spec, source, sinks, false, parallel, allocator, progress, System.nanoTime());
    }

    /**
     * @param inPlace compute the output in place ({@link MappedIpcSink}) when it can be (an Arrow IPC
     *                output of a mapped Arrow IPC input, on a file system that maps and reserves files);
     *                otherwise the batches go through the sink {@code sinks} opens
     */
    private static Result run(Spec spec, BatchSource source, SinkFactory sinks, boolean inPlace, ParallelOps parallel,
                              BufferAllocator allocator, Progress progress, long start) throws IOException {
        Schema schema = source.schema();
        int d = featureWidth(schema, spec, allocator);
        progress.inputTotals(source.totals());
        checkNewColumn(schema, source, spec.outputColumn(), "output", spec);
        if (spec.ops().argmax()) {
            checkNewColumn(schema, source, spec.predictionColumn(), "prediction", spec);
        }
        try (Tensor w = spec.ops().needsWeights() ? WeightsFile.load(spec.weights(), allocator) : null;
             Tensor bias = spec.bias() == null ? null : WeightsFile.loadBias(spec.bias(), allocator)) {
            if (w != null) {
                checkShapes(w, bias, d, spec);
            }
            int h = w != null ? w.cols() : d;
            LOG.debug("compute {} on {} (d={}, h={}{}) -> {}", spec.ops(), spec.input(), d, h,
                    bias == null ? "" : ", bias", spec.output());
            List<Field> added = outputFields(spec, h);
            Schema outSchema = outputSchema(schema, added, spec.keepInputColumns());
            // opened before the kernels' compile is waited for: the input's kept columns are copied into it meanwhile
            MappedIpcSink mapped = inPlace ? MappedIpcSink.open(spec.output(), source, outSchema, added.size(),
                    spec.keepInputColumns(), allocator) : null;
            try {
                PreparedWeights prepared;
                try (InputCopyAhead ahead = InputCopyAhead.start(mapped, parallel.pool())) {
                    prepared = compileAndPrepare(parallel, w, bias, d, spec);
                }
                if (mapped != null && mapped.inputCopiedAhead() > 0) {
                    LOG.debug("the input's columns of {} of {} batches copied while the kernels compiled ({} s)",
                            mapped.inputCopiedAhead(), mapped.batches(), String.format("%.3f", mapped.aheadNanos() / 1e9));
                }
                try (prepared) {
                    if (mapped != null) {
                        return runInPlace(spec, source, mapped, parallel, prepared, progress, start);
                    }
                    return runPipelined(spec, source, sinks, outSchema, h, parallel, prepared, allocator, progress,
                            start);
                }
            } finally {
                if (mapped != null) {
                    mapped.close(); // deletes the temporary file unless committed
                }
            }
        }
    }

    /**
     * The kernels compiled for the job (on this thread, before the workers start, docs/design.md,
     * start-up) and the weights packed once for every batch: null without weights.
     */
    private static PreparedWeights compileAndPrepare(ParallelOps parallel, Tensor w, Tensor bias, int d, Spec spec) {
        if (w == null) {
            if (spec.ops().softmax()) {
                KernelCompile.compile(d, d, false, true); // softmax alone
            }
            return null;
        }
        KernelCompile.compile(d, w.cols(), true, spec.ops().softmax(), KernelCompileStart::beside);
        return parallel.prepare(w, bias);
    }

    /** The output computed in place in its mapped file, the pool finishing each batch beside the next one's tiles. */
    private static Result runInPlace(Spec spec, BatchSource source, MappedIpcSink mapped, ParallelOps parallel,
                                     PreparedWeights prepared, Progress progress, long start) throws IOException {
        try (MappedIpcSink sink = mapped) {
            long setup = System.nanoTime() - start;
            InPlacePipeline pipeline = new InPlacePipeline(source, sink, parallel.pool(), (batch, columns) ->
                    computeInPlace(spec, parallel, prepared, batch, columns), progress);
            InPlacePipeline.Timings t = pipeline.run();
            long commitStart = System.nanoTime();
            sink.commit();
            long commit = System.nanoTime() - commitStart;
            return new Result(t.rows(), t.batches(), System.nanoTime() - start, spec.output(),
                    new Timings(setup, t.readNanos(), t.computeNanos(), t.finishNanos(), commit, t.firstBatchNanoTime(),
                            true, sink.copyNanos(), t.waitNanos(), sink.finishTimes()));
        }
    }

    /** Three stages at once (BatchPipeline): output columns in memory, written by a writer thread. */
    private static Result runPipelined(Spec spec, BatchSource source, SinkFactory sinks, Schema outSchema, int h,
                                       ParallelOps parallel, PreparedWeights prepared, BufferAllocator allocator,
                                       Progress progress, long start) throws IOException {
        int inFlight = Math.max(1, source.maxInFlight());
        List<OutputSlot> slots = new ArrayList<>();
        try {
            for (int i = 0; i < inFlight; i++) {
                slots.add(new OutputSlot(spec, h, allocator));
            }
            try (BatchSink sink = sinks.open(outSchema)) {
                long setup = System.nanoTime() - start;
                BatchPipeline<OutputSlot> pipeline = new BatchPipeline<>(source, sink, slots, inFlight,
                        (batch, slot) -> computeInto(spec, parallel, prepared, batch, slot, outSchema), progress);
                BatchPipeline.Timings t = pipeline.run();
                long commitStart = System.nanoTime();
                sink.commit();
                long commit = System.nanoTime() - commitStart;
                return new Result(t.rows(), t.batches(), System.nanoTime() - start, spec.output(),
                        new Timings(setup, t.readNanos(), t.computeNanos(), t.writeNanos(), commit,
                                t.firstBatchNanoTime()));
            }
        } finally {
            slots.forEach(OutputSlot::close);
        }
    }

    /** The columns a job adds: the output tensor, and argmax's int32 class column when the ops end in argmax. */
    private static List<Field> outputFields(Spec spec, int h) {
        Field out = FixedShapeTensorType.float32(h).field(spec.outputColumn());
        return spec.ops().argmax() ? List.of(out, Field.nullable(spec.predictionColumn(), new ArrowType.Int(32, true)))
                : List.of(out);
    }

    private static void computeInPlace(Spec spec, ParallelOps parallel, PreparedWeights w, InputBatch batch,
                                       VectorSchemaRoot columns) {
        FixedSizeListVector x = features(spec, batch);
        FixedShapeTensorVector out = (FixedShapeTensorVector) columns.getVector(spec.outputColumn());
        IntVector predictions = spec.ops().argmax() ? (IntVector) columns.getVector(spec.predictionColumn()) : null;
        computeBatch(spec.ops(), parallel, x, w, out, predictions);
    }

    private static void checkNewColumn(Schema schema, BatchSource source, String name, String what, Spec spec) {
        if (spec.keepInputColumns() && schema.getFields().stream().anyMatch(f -> f.getName().equals(name))) {
            throw new BadInputException(source.describe() + ": already has a column named '" + name
                    + "'; choose another name for the " + what + " column (compute --" + what + "-column NAME)");
        }
    }

    /** The buffers one batch's output columns are computed into, reused batch after batch. */
    static final class OutputSlot implements AutoCloseable {
        final FixedShapeTensorVector out;
        /** Each row's class, when the ops end in argmax; else null. */
        final IntVector predictions;

        OutputSlot(Spec spec, int h, BufferAllocator allocator) {
            out = (FixedShapeTensorVector) FixedShapeTensorType.float32(h).getNewVector(spec.outputColumn(), null, allocator);
            predictions = spec.ops().argmax() ? new IntVector(spec.predictionColumn(), allocator) : null;
        }

        @Override
        public void close() {
            out.close();
            if (predictions != null) {
                predictions.close();
            }
        }
    }

    private static VectorSchemaRoot computeInto(Spec spec, ParallelOps parallel, PreparedWeights w, InputBatch batch,
                                                OutputSlot slot, Schema outSchema) {
        VectorSchemaRoot in = batch.root();
        int n = in.getRowCount();
        FixedSizeListVector x = features(spec, batch);
        TensorColumns.prepare(slot.out, n);
        computeBatch(spec.ops(), parallel, x, w, slot.out, slot.predictions);
        List<FieldVector> vectors = new ArrayList<>();
        if (spec.keepInputColumns()) {
            vectors.addAll(in.getFieldVectors());
        }
        vectors.add(slot.out);
        if (slot.predictions != null) {
            vectors.add(slot.predictions);
        }
        return new VectorSchemaRoot(outSchema.getFields(), vectors, n);
    }

    static PreparedWeights prepareChecked(ParallelOps parallel, Tensor w, Tensor bias, int d, Spec spec) {
        checkShapes(w, bias, d, spec);
        return compileAndPrepare(parallel, w, bias, d, spec);
    }

    /** Refuses weights (and a bias) that do not fit the input's {@code d} features, naming the files. */
    private static void checkShapes(Tensor w, Tensor bias, int d, Spec spec) {
        if (w.rows() != d) {
            throw new BadInputException("shapes do not fit: column '" + spec.column() + "' of " + spec.input()
                    + " has d=" + d + " features per row, but the weights " + spec.weights() + " have "
                    + w.rows() + " rows (W must be d×h = " + d + "×" + w.cols() + ")");
        }
        if (bias != null && bias.cols() != w.cols()) {
            throw new BadInputException("shapes do not fit: the bias " + spec.bias() + " has " + bias.cols()
                    + " values, but the weights " + spec.weights() + " are " + w.rows() + "×" + w.cols()
                    + " (the bias needs h=" + w.cols() + ", one per column)");
        }
    }

    /** The batch's features column; a missing or wrong one is refused naming the input and the batch. */
    static FixedSizeListVector features(Spec spec, InputBatch batch) {
        return TensorColumns.floatListColumn(batch.root(), spec.column(), spec.input() + " batch " + batch.index());
    }

    /** The features column's list size, from the schema alone (an empty root explains a wrong column). */
    static int featureWidth(Schema schema, Spec spec, BufferAllocator allocator) {
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
            return TensorColumns.floatListColumn(empty, spec.column(), spec.input().toString()).getListSize();
        }
    }

    private static Schema outputSchema(Schema in, List<Field> added, boolean keepInputColumns) {
        List<Field> fields = new ArrayList<>();
        if (keepInputColumns) {
            fields.addAll(in.getFields());
        }
        fields.addAll(added);
        return new Schema(fields, in.getCustomMetadata());
    }

    /**
     * Runs the ops over one batch with prepared weights (null for softmax alone): {@code x} is the
     * features list column, {@code out} a column made ready by {@link TensorColumns#prepare}. Null
     * input rows become null output rows. Ops ending in argmax need the other form.
     */
    public static void computeBatch(Ops ops, ParallelOps parallel, FixedSizeListVector x, PreparedWeights w,
                                    FixedShapeTensorVector out) {
        computeBatch(ops, parallel, x, w, out, null);
    }

    /**
     * {@link #computeBatch(Ops, ParallelOps, FixedSizeListVector, PreparedWeights, FixedShapeTensorVector)},
     * and for ops ending in argmax each row's class into {@code predictions} (any capacity: it is
     * allocated to the batch's rows), null where the input row is null or its scores hold NaN.
     */
    public static void computeBatch(Ops ops, ParallelOps parallel, FixedSizeListVector x, PreparedWeights w,
                                    FixedShapeTensorVector out, IntVector predictions) {
        if (ops.argmax() && predictions == null) {
            throw new IllegalArgumentException("ops '" + ops + "' write each row's class: give a predictions vector");
        }
        int rows = x.getValueCount();
        if (ops.argmax()) {
            PredictionColumn.prepare(predictions, rows);
        }
        try (Tensor xs = TensorColumns.view(x); Tensor ys = TensorColumns.view(out)) {
            if (ops.needsWeights() && ops.argmax()) {
                parallel.scoreInto(xs, w, ops.softmax(), ys, PredictionColumn.segment(predictions, rows));
            } else if (ops.needsWeights()) {
                if (ops.softmax()) {
                    parallel.matmulSoftmaxInto(xs, w, ys);
                } else {
                    parallel.matmulInto(xs, w, ys);
                }
            } else {
                parallel.softmaxInto(xs, ys);
                if (ops.argmax()) {
                    parallel.argmaxInto(ys, PredictionColumn.segment(predictions, rows));
                }
            }
        }
        keepNullRows(x, out);
        if (ops.argmax()) {
            PredictionColumn.finish(predictions, x);
        }
    }

    /**
     * {@link #computeBatch(Ops, ParallelOps, FixedSizeListVector, PreparedWeights, FixedShapeTensorVector)}
     * with the weights {@code w} (null for softmax alone) prepared for this batch alone: a job of many
     * batches prepares them once instead.
     */
    public static void computeBatch(Ops ops, ParallelOps parallel, FixedSizeListVector x, Tensor w, FixedShapeTensorVector out) {
        try (PreparedWeights prepared = w == null || !ops.needsWeights() ? null : parallel.prepare(w)) {
            computeBatch(ops, parallel, x, prepared, out);
        }
    }

    private static void keepNullRows(FixedSizeListVector x, FixedShapeTensorVector out) {
        FixedSizeListVector list = out.getUnderlyingVector();
        if (x.getNullCount() > 0) {
            for (int r = 0; r < x.getValueCount(); r++) {
                if (x.isNull(r)) {
                    list.setNull(r);
                }
            }
        }
    }
}
