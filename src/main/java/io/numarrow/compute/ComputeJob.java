package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code output = ops(features)} for every batch of an Arrow IPC or Parquet input ({@link Formats}): each batch's features
 * column is viewed as a tensor (no copy), run through {@link ParallelOps} straight into the
 * output column, and written with every input column beside it, one output batch per input
 * batch. The output file appears only when every batch is written.
 */
public final class ComputeJob {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeJob.class);

    /**
     * What to compute.
     *
     * @param input        the file of feature rows: Arrow IPC, or Parquet (a file, a folder or a glob)
     * @param weights      the weights file, or null for {@link Ops#SOFTMAX} alone
     * @param output       where the result goes
     * @param column       the features column, {@code FixedSizeList<float32>[d]}
     * @param ops          the operations
     * @param outputColumn the name of the added column
     * @param formats      input and output formats ({@link Formats.Options#AUTO}: from the files)
     */
    public record Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn,
                       Formats.Options formats) {
        public Spec {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(ops, "ops");
            column = column == null ? "features" : column;
            outputColumn = outputColumn == null ? "output" : outputColumn;
            formats = formats == null ? Formats.Options.AUTO : formats;
            if (ops.needsWeights() && weights == null) {
                throw new BadInputException("ops '" + ops + "' need a weights file (--weights W.arrow)");
            }
        }

        /** Formats told from the input file and the output name. */
        public Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn) {
            this(input, weights, output, column, ops, outputColumn, Formats.Options.AUTO);
        }
    }

    /** How a run went. */
    public record Result(long rows, int batches, long nanos, Path output) {
        public double seconds() {
            return nanos / 1e9;
        }

        public double rowsPerSecond() {
            return nanos == 0 ? 0 : rows / seconds();
        }
    }

    /** Told after each batch is written; lets a caller show progress. */
    @FunctionalInterface
    public interface Progress {
        void batchDone(int batches, long rows);

        Progress NONE = (b, r) -> { };
    }

    private ComputeJob() {
    }

    public static Result run(Spec spec, ParallelOps ops, BufferAllocator allocator) {
        return run(spec, ops, allocator, Progress.NONE);
    }

    public static Result run(Spec spec, ParallelOps parallel, BufferAllocator allocator, Progress progress) {
        long start = System.nanoTime();
        Formats.Format inFormat = Formats.inputFormat(spec.input(), spec.formats().input());
        Formats.Format outFormat = Formats.outputFormat(spec.output(), spec.formats().output());
        // Input errors come before any weights error, and before the weights are loaded for nothing.
        if (inFormat == Formats.Format.ARROW) {
            ArrowFiles.checkIpcFile(spec.input());
        }
        try (BatchSource source = Formats.openSource(spec.input(), inFormat, spec.column(), allocator);
             Tensor w = spec.ops().needsWeights() ? Weights.load(spec.weights(), allocator) : null) {
            String name = source.describe();
            int d = featuresWidth(source.schema(), spec.column(), name, allocator);
            if (w != null && w.rows() != d) {
                throw new BadInputException("shapes do not fit: column '" + spec.column() + "' of " + name
                        + " has d=" + d + " features per row, but the weights " + spec.weights() + " have "
                        + w.rows() + " rows (W must be d×h = " + d + "×" + w.cols() + ")");
            }
            if (source.schema().getFields().stream().anyMatch(f -> f.getName().equals(spec.outputColumn()))) {
                throw new BadInputException(name + ": already has a column named '" + spec.outputColumn()
                        + "'; choose another output column name");
            }
            int h = w != null ? w.cols() : d;
            LOG.debug("compute {} on {} (d={}, h={}) -> {}", spec.ops(), name, d, h, spec.output());

            try (FixedShapeTensorVector out = (FixedShapeTensorVector) FixedShapeTensorType.float32(h)
                    .getNewVector(spec.outputColumn(), null, allocator)) {
                List<Field> fields = new ArrayList<>(source.schema().getFields());
                fields.add(out.getField());
                Schema outSchema = new Schema(fields, source.schema().getCustomMetadata());
                long rows = 0;
                int batches = 0;
                try (BatchSink sink = Formats.openSink(spec.output(), outFormat, outSchema,
                        spec.formats().compression(), source, allocator)) {
                    VectorSchemaRoot outRoot = null;
                    VectorSchemaRoot boundTo = null;
                    for (InputBatch next = source.next(); next != null; next = source.next()) {
                        try (InputBatch batch = next) {
                            VectorSchemaRoot in = batch.root();
                            int n = in.getRowCount();
                            FixedSizeListVector x = TensorColumns.floatListColumn(in, spec.column(), name);
                            TensorColumns.prepare(out, n);
                            computeBatch(spec.ops(), parallel, x, w, out);
                            if (in != boundTo) { // the sources here reuse one root for every batch
                                List<FieldVector> vectors = new ArrayList<>(in.getFieldVectors());
                                vectors.add(out);
                                outRoot = new VectorSchemaRoot(fields, vectors, n);
                                boundTo = in;
                            }
                            outRoot.setRowCount(n);
                            sink.write(outRoot);
                            rows += n;
                            batches++;
                            progress.batchDone(batches, rows);
                        }
                    }
                    sink.commit();
                }
                return new Result(rows, batches, System.nanoTime() - start, spec.output());
            }
        } catch (IOException e) {
            throw new BadInputException(spec.input() + (inFormat == Formats.Format.ARROW
                    ? ": not a valid Arrow IPC file (" : ": cannot read (") + e.getMessage() + ")", e);
        }
    }

    /** The width d of the features column, from the schema (each batch's column is checked again). */
    private static int featuresWidth(Schema schema, String column, String source, BufferAllocator allocator) {
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(schema, allocator)) {
            return TensorColumns.floatListColumn(empty, column, source).getListSize();
        }
    }

    /**
     * Runs the ops over one batch: {@code x} is the features list column, {@code w} the weights
     * (null for softmax alone), {@code out} a column made ready by {@link TensorColumns#prepare}.
     * Null input rows become null output rows.
     */
    public static void computeBatch(Ops ops, ParallelOps parallel, FixedSizeListVector x, Tensor w, FixedShapeTensorVector out) {
        try (Tensor xs = TensorColumns.view(x); Tensor ys = TensorColumns.view(out)) {
            switch (ops) {
                case MATMUL -> parallel.matmulInto(xs, w, ys);
                case SOFTMAX -> parallel.softmaxInto(xs, ys);
                case MATMUL_SOFTMAX -> parallel.matmulSoftmaxInto(xs, w, ys);
            }
        }
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
