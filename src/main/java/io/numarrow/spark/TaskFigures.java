package io.numarrow.spark;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * numarrow's figures per task, as named accumulators: Spark's UI shows them in the stage's task
 * table (each task's value) and summed over the stage, and its event log keeps them for the History
 * Server. Registered on the driver by {@link NumarrowTransformer#transform}; each task adds its
 * totals on the executor when it ends, and Spark counts them only for tasks that succeed (a task
 * rerun after an executor was lost counts once).
 *
 * @param rows        rows scored (null rows included)
 * @param batches     Arrow batches computed
 * @param computeMs   milliseconds in numarrow's kernels, waiting for the pool excluded
 * @param gflops      matmul's 2·rows·d·h over the kernel time; null for softmax alone
 */
record TaskFigures(LongAccumulator rows, LongAccumulator batches, LongAccumulator computeMs,
                   GflopsAccumulator gflops) implements Serializable {
    static final String ROWS = "numarrow rows";
    static final String BATCHES = "numarrow batches";
    static final String COMPUTE_MS = "numarrow compute ms";
    static final String GFLOPS = "numarrow GFLOP/s";

    /** New accumulators, registered with {@code context} under the names above. */
    static TaskFigures register(SparkContext context, boolean matmul) {
        GflopsAccumulator gflops = null;
        if (matmul) {
            gflops = new GflopsAccumulator();
            context.register(gflops, GFLOPS);
        }
        return new TaskFigures(context.longAccumulator(ROWS), context.longAccumulator(BATCHES),
                context.longAccumulator(COMPUTE_MS), gflops);
    }

    /** A task's totals, added once when it ends: Spark keeps them only if the task succeeded. */
    void task(long n, long batchCount, long kernelNanos, long flops) {
        rows.add(n);
        batches.add(batchCount);
        computeMs.add(Math.round(kernelNanos / 1e6));
        if (gflops != null) {
            gflops.add(flops, kernelNanos);
        }
    }
}
