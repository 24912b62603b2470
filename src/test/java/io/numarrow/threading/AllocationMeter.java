package io.numarrow.threading;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by the calling thread and every pool worker thread alive when the meter was made:
 * what a tiled call allocates, wherever its tiles ran.
 */
final class AllocationMeter {
    private final ThreadMXBean threads =
            (ThreadMXBean) ManagementFactory.getThreadMXBean();
    private final long[] ids = Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t == Thread.currentThread() || t instanceof WorkerThread).mapToLong(Thread::threadId)
            .toArray();

    /** Bytes those threads have allocated so far (a thread that has ended counts nothing). */
    long allocated() {
        long sum = 0;
        for (long v : threads.getThreadAllocatedBytes(ids)) {
            sum += Math.max(0, v);
        }
        return sum;
    }
}
