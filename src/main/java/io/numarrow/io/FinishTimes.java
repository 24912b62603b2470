package io.numarrow.io;

/**
 * Where an in-place output's batch finishes ({@link MappedIpcSink#finish}) spent their time, summed
 * over the batches, each piece as wall time and as the finishing thread's CPU time: a piece whose
 * wall time is well above its CPU time waited (for the disk's queue, or a lock), holding its thread.
 *
 * @param writeNanos        the appended columns and the batch's metadata written into the page cache
 * @param copyNanos         the input's columns copied file to file
 * @param writeBackNanos    the batch's pages let go and their write-back started
 */
public record FinishTimes(long writeNanos, long writeCpuNanos, long copyNanos, long copyCpuNanos,
                          long writeBackNanos, long writeBackCpuNanos) {
    public static final FinishTimes NONE = new FinishTimes(0, 0, 0, 0, 0, 0);

    public long nanos() {
        return writeNanos + copyNanos + writeBackNanos;
    }

    public long cpuNanos() {
        return writeCpuNanos + copyCpuNanos + writeBackCpuNanos;
    }
}
