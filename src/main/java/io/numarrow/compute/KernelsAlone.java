package io.numarrow.compute;

import io.numarrow.BadInputException;
import io.numarrow.io.BatchSource;
import io.numarrow.io.Formats;
import io.numarrow.io.InputBatch;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import io.numarrow.tensor.TensorColumns;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import java.io.IOException;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The kernels' own time over a job's rows: the yardstick for the job's compute stage
 * ({@code compute --stats}, {@code bench --suite job}). The job's input is read again, batch by
 * batch, and each batch goes through the same {@link ComputeJob#computeBatch} the job runs, into one
 * output column in memory that is reused and thrown away; only those calls are timed. What the job
 * adds on top of this figure (its output's fresh file pages, the pool finishing the previous batch
 * beside the tiles) is then the difference between the two.
 */
public final class KernelsAlone {
    /**
     * @param rows    rows computed
     * @param batches batches computed
     * @param nanos   the {@code computeBatch} calls' wall time, summed
     */
    public record Result(long rows, int batches, long nanos) {
        public double seconds() {
            return nanos / 1e9;
        }
    }

    private KernelsAlone() {
    }

    /**
     * Runs {@code spec}'s ops over every batch of its input on {@code parallel}'s pool, writing
     * nothing; the weights are loaded and prepared first, untimed.
     */
    public static Result measure(ComputeJob.Spec spec, ParallelOps parallel, BufferAllocator allocator) {
        Formats.Format inFormat = Formats.inputFormat(spec.input(), spec.formats().input());
        try (BatchSource source = Formats.openSource(spec.input(), inFormat, spec.column(), allocator)) {
            int d = ComputeJob.featureWidth(source.schema(), spec, allocator);
            try (Tensor w = spec.ops().needsWeights() ? WeightsFile.load(spec.weights(), allocator) : null;
                 Tensor bias = spec.bias() == null ? null : WeightsFile.loadBias(spec.bias(), allocator);
                 PreparedWeights prepared = w == null ? null : ComputeJob.prepareChecked(parallel, w, bias, d, spec);
                 ComputeJob.OutputSlot slot = new ComputeJob.OutputSlot(spec, w != null ? w.cols() : d, allocator)) {
                return timeBatches(spec, source, parallel, prepared, slot);
            }
        } catch (IOException e) {
            throw new BadInputException(spec.input() + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static Result timeBatches(ComputeJob.Spec spec, BatchSource source, ParallelOps parallel,
                                      PreparedWeights prepared, ComputeJob.OutputSlot slot) throws IOException {
        long rows = 0;
        int batches = 0;
        long nanos = 0;
        int preparedRows = -1;
        while (true) {
            try (InputBatch batch = source.next()) {
                if (batch == null) {
                    break;
                }
                FixedSizeListVector x = ComputeJob.features(spec, batch);
                int n = x.getValueCount();
                if (n != preparedRows) {
                    // made once for batches of one size and touched, so that no call is timed faulting in its pages
                    TensorColumns.prepare(slot.out, n);
                    slot.out.getUnderlyingVector().getDataVector().getDataBuffer().setZero(0,
                            (long) n * slot.out.getUnderlyingVector().getListSize() * Float.BYTES);
                    preparedRows = n;
                }
                long t = System.nanoTime();
                ComputeJob.computeBatch(spec.ops(), parallel, x, prepared, slot.out, slot.predictions);
                nanos += System.nanoTime() - t;
                rows += n;
                batches++;
            }
        }
        return new Result(rows, batches, nanos);
    }
}
