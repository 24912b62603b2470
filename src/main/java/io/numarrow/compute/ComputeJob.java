package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.io.ArrowFiles;
import io.numarrow.io.AtomicArrowWriter;
import io.numarrow.io.FileSnapshot;
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
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;
import org.apache.arrow.vector.types.pojo.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code output = ops(features)} for every batch of an Arrow IPC file: each batch's features
 * column is viewed as a tensor (no copy), run through {@link ParallelOps} straight into the
 * output column, and written with every input column beside it, one output batch per input
 * batch. The output file appears only when every batch is written.
 */
public final class ComputeJob {
    private static final Logger LOG = LoggerFactory.getLogger(ComputeJob.class);

    /**
     * What to compute.
     *
     * @param input        the Arrow IPC file of feature rows
     * @param weights      the weights file, or null for {@link Ops#SOFTMAX} alone
     * @param output       where the result goes
     * @param column       the features column, {@code FixedSizeList<float32>[d]}
     * @param ops          the operations
     * @param outputColumn the name of the added column
     */
    public record Spec(Path input, Path weights, Path output, String column, Ops ops, String outputColumn) {
        public Spec {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(output, "output");
            Objects.requireNonNull(ops, "ops");
            column = column == null ? "features" : column;
            outputColumn = outputColumn == null ? "output" : outputColumn;
            if (ops.needsWeights() && weights == null) {
                throw new BadInputException("ops '" + ops + "' need a weights file (--weights W.arrow)");
            }
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
        // Input errors come before any weights error, and before the weights are loaded for nothing.
        ArrowFiles.checkIpcFile(spec.input());
        FileSnapshot inputAtStart = FileSnapshot.take(spec.input());
        try (Tensor w = spec.ops().needsWeights() ? Weights.load(spec.weights(), allocator) : null;
             ArrowReader reader = ArrowFiles.read(spec.input(), allocator)) {
            VectorSchemaRoot in = readSchema(reader, spec.input());
            String source = spec.input().toString();
            FixedSizeListVector features = TensorColumns.floatListColumn(in, spec.column(), source);
            int d = features.getListSize();
            if (w != null && w.rows() != d) {
                throw new BadInputException("shapes do not fit: column '" + spec.column() + "' of " + spec.input()
                        + " has d=" + d + " features per row, but the weights " + spec.weights() + " have "
                        + w.rows() + " rows (W must be d×h = " + d + "×" + w.cols() + ")");
            }
            if (in.getVector(spec.outputColumn()) != null) {
                throw new BadInputException(spec.input() + ": already has a column named '" + spec.outputColumn()
                        + "'; choose another output column name");
            }
            int h = w != null ? w.cols() : d;
            LOG.debug("compute {} on {} (d={}, h={}) -> {}", spec.ops(), spec.input(), d, h, spec.output());

            try (FixedShapeTensorVector out = (FixedShapeTensorVector) FixedShapeTensorType.float32(h)
                    .getNewVector(spec.outputColumn(), null, allocator)) {
                List<Field> fields = new ArrayList<>(in.getSchema().getFields());
                List<FieldVector> vectors = new ArrayList<>(in.getFieldVectors());
                fields.add(out.getField());
                vectors.add(out);
                VectorSchemaRoot outRoot = new VectorSchemaRoot(fields, vectors, 0);
                long rows = 0;
                int batches = 0;
                try (AtomicArrowWriter writer = ArrowFiles.write(spec.output(), outRoot, reader)) {
                    while (loadNext(reader, spec.input())) {
                        int n = in.getRowCount();
                        FixedSizeListVector x = TensorColumns.floatListColumn(in, spec.column(), source);
                        TensorColumns.prepare(out, n);
                        computeBatch(spec.ops(), parallel, x, w, out);
                        outRoot.setRowCount(n);
                        writer.writeBatch();
                        rows += n;
                        batches++;
                        progress.batchDone(batches, rows);
                    }
                    writer.commit();
                }
                return new Result(rows, batches, System.nanoTime() - start, spec.output());
            }
        } catch (IOException e) {
            throw new BadInputException(spec.input() + ": not a valid Arrow IPC file (" + e.getMessage() + ")", e);
        } catch (InternalError e) {
            // a fault reading the mapped input, which shrank under the job: "input file changed while being read"
            throw inputAtStart.explain(e);
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

    private static VectorSchemaRoot readSchema(ArrowReader reader, Path file) throws IOException {
        try {
            return reader.getVectorSchemaRoot();
        } catch (InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException e) {
            throw new BadInputException(file + ": not a valid Arrow IPC file (" + e.getMessage() + ")", e);
        }
    }

    private static boolean loadNext(ArrowReader reader, Path file) throws IOException {
        try {
            return reader.loadNextBatch();
        } catch (InvalidArrowFileException | IllegalArgumentException | IndexOutOfBoundsException
                 | IllegalStateException e) {
            throw new BadInputException(file + ": corrupt record batch (" + e.getMessage() + ")", e);
        }
    }
}
