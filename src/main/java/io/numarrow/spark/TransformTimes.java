package io.numarrow.spark;

import java.util.concurrent.atomic.LongAdder;

/**
 * Where the transformer's time went in this JVM, summed over its tasks: pulling rows from the
 * upstream plan (for a file source, the scan and decoding), copying them into Arrow batches,
 * waiting for the pool, the kernels, and turning results back into rows. Kernel time is per batch,
 * the others per row. In local mode the driver sees every task's share, which is what the
 * benchmark reports.
 */
public final class TransformTimes {
    private static final LongAdder ROWS = new LongAdder();
    private static final LongAdder BATCHES = new LongAdder();
    private static final LongAdder UPSTREAM = new LongAdder();
    private static final LongAdder TO_ARROW = new LongAdder();
    private static final LongAdder KERNELS = new LongAdder();
    private static final LongAdder TO_ROWS = new LongAdder();
    private static final LongAdder POOL_WAIT = new LongAdder();
    /** Rows whose Parquet numarrow's own reader decoded ({@link SplitBatches}) rather than Spark's scan. */
    private static final LongAdder OWN_PARQUET_ROWS = new LongAdder();

    /** A copy of the totals. */
    public record Snapshot(long rows, long batches, long upstreamNanos, long toArrowNanos, long poolWaitNanos,
                           long kernelNanos, long toRowsNanos) {
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(rows - earlier.rows, batches - earlier.batches, upstreamNanos - earlier.upstreamNanos,
                    toArrowNanos - earlier.toArrowNanos,
                    poolWaitNanos - earlier.poolWaitNanos, kernelNanos - earlier.kernelNanos,
                    toRowsNanos - earlier.toRowsNanos);
        }

        @Override
        public String toString() {
            return String.format("%,d rows in %,d batches: upstream plan (the scan) %.3f s, rows -> Arrow %.3f s,"
                            + " waiting for the pool %.3f s, kernels %.3f s, Arrow -> rows %.3f s"
                            + " (task-thread seconds, summed over tasks)", rows, batches, upstreamNanos / 1e9,
                    toArrowNanos / 1e9, poolWaitNanos / 1e9, kernelNanos / 1e9, toRowsNanos / 1e9);
        }
    }

    private TransformTimes() {
    }

    public static Snapshot snapshot() {
        return new Snapshot(ROWS.sum(), BATCHES.sum(), UPSTREAM.sum(), TO_ARROW.sum(), POOL_WAIT.sum(), KERNELS.sum(), TO_ROWS.sum());
    }

    static void batch(int rows, long upstreamNanos, long toArrowNanos, long poolWaitNanos, long kernelNanos) {
        ROWS.add(rows);
        BATCHES.increment();
        UPSTREAM.add(upstreamNanos);
        TO_ARROW.add(toArrowNanos);
        POOL_WAIT.add(poolWaitNanos);
        KERNELS.add(kernelNanos);
    }

    static void ownParquet(int rows) {
        OWN_PARQUET_ROWS.add(rows);
    }

    /** Rows read by numarrow's own Parquet reader in this JVM, in all tasks so far. */
    static long ownParquetRows() {
        return OWN_PARQUET_ROWS.sum();
    }

    static void toRows(long nanos) {
        TO_ROWS.add(nanos);
    }
}
