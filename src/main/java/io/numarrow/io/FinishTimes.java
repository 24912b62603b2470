package io.numarrow.io;

/**
 * Where an in-place output's batch finishes ({@link MappedIpcSink#finish}) spent their time, summed
 * over the batches, each piece as wall time and as the finishing thread's CPU time: a piece whose
 * wall time is well above its CPU time waited (for the disk's queue, or a lock), holding its thread.
 *
 * @param writeNanos        the appended columns and the batch's metadata written into the page cache
 * @param copyNanos         the input's columns copied file to file
 * @param writeBackNanos    the batch's pages let go and their write-back started
 * @param aheadBatches      batches whose input columns were copied before the first batch, while the
 *                          kernels compiled ({@link MappedIpcSink#copyNextInputAhead}): their finishes copy none
 * @param aheadNanos        the time that copy took (not part of {@link #nanos()}: no batch was being computed)
 */
public record FinishTimes(long writeNanos, long writeCpuNanos, long copyNanos, long copyCpuNanos,
                          long writeBackNanos, long writeBackCpuNanos, int aheadBatches, long aheadNanos) {
    public static final FinishTimes NONE = new FinishTimes(0, 0, 0, 0, 0, 0);

    /** Nothing copied ahead of the first batch. */
    public FinishTimes(long writeNanos, long writeCpuNanos, long copyNanos, long copyCpuNanos, long writeBackNanos,
                       long writeBackCpuNanos) {
        this(writeNanos, writeCpuNanos, copyNanos, copyCpuNanos, writeBackNanos, writeBackCpuNanos, 0, 0);
    }

    /** These and {@code other}'s, piece by piece (two threads sharing the finishes); the copies ahead are these. */
    FinishTimes plus(FinishTimes other) {
        return new FinishTimes(writeNanos + other.writeNanos, writeCpuNanos + other.writeCpuNanos, copyNanos + other.copyNanos,
                copyCpuNanos + other.copyCpuNanos, writeBackNanos + other.writeBackNanos,
                writeBackCpuNanos + other.writeBackCpuNanos, aheadBatches, aheadNanos);
    }

    public long nanos() {
        return writeNanos + copyNanos + writeBackNanos;
    }

    public long cpuNanos() {
        return writeCpuNanos + copyCpuNanos + writeBackCpuNanos;
    }
}
