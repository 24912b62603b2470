package io.numarrow.io;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Times the pieces of a batch's finish, wall and the finishing thread's CPU ({@link FinishTimes}).
 * One finish at a time per clock: {@link MappedIpcSink#finish} runs on one thread at a time, each
 * after the previous one returned (its caller awaits it), which orders the sums; {@link
 * MappedIpcSink#finishInput}, which may run beside it, has a clock of its own.
 */
final class FinishClock {
    static final int WRITE = 0;
    static final int COPY = 1;
    static final int WRITE_BACK = 2;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final long[] wall = new long[3];
    private final long[] cpu = new long[3];
    private long lastWall;
    private long lastCpu;

    void start() {
        lastWall = System.nanoTime();
        lastCpu = threadCpu();
    }

    /** Adds the time since the previous mark to {@code piece}. */
    void lap(int piece) {
        long w = System.nanoTime();
        long c = threadCpu();
        wall[piece] += w - lastWall;
        cpu[piece] += c - lastCpu;
        lastWall = w;
        lastCpu = c;
    }

    /** The sums, with what was copied ahead of the first batch ({@link FinishTimes#aheadBatches()}). */
    FinishTimes totals(int aheadBatches, long aheadNanos) {
        return new FinishTimes(wall[WRITE], cpu[WRITE], wall[COPY], cpu[COPY], wall[WRITE_BACK], cpu[WRITE_BACK],
                aheadBatches, aheadNanos);
    }

    /** This thread's CPU time, or 0 where the JVM cannot tell (then only walls are known). */
    private static long threadCpu() {
        long t = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
        return Math.max(t, 0);
    }
}
