package io.numarrow.jit;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.Softmax;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@link KernelCompileTest}'s child JVM (run with {@code -XX:+PrintCompilation}): the warm-up for a
 * 256→256 matmul and softmax, a marker line, then such a job's kernels on a 4000-row batch in memory
 * reached as a job's tensors are, another marker
 * with the bytes that batch allocated (boxed vectors allocate; compiled kernels do not).
 */
public final class KernelCompileProbe {
    static final String WARMED = "=== warm-up returned";
    static final String BATCH_DONE = "=== batch done";

    private KernelCompileProbe() {
    }

    public static void main(String[] args) {
        KernelCompile.Result r = KernelCompile.compile(256, 256, true, true);
        System.out.println(WARMED + " ran=" + r.ran() + " compiled=" + r.compiled() + " rounds=" + r.rounds() + " ms="
                + r.millis() + " note=" + r.note() + " c1=" + KernelCompile.c1Note());
        System.out.flush();
        int m = 4000;
        int n = 256;
        int k = 256;
        var species = FloatVector.SPECIES_PREFERRED;
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated;
        try (Arena arena = Arena.ofConfined()) {
            // segments with no scope of their own, as a job's tensors give the kernels (Tensor.liveSegment)
            MemorySegment a = unscoped(arena.allocate((long) m * k * Float.BYTES, 64));
            MemorySegment b = unscoped(arena.allocate((long) k * n * Float.BYTES, 64));
            MemorySegment c = unscoped(arena.allocate((long) m * n * Float.BYTES, 64));
            MemorySegment packed = unscoped(arena.allocate(Matmul.packedBBytes(species, k, n), 64));
            Matmul.packB(species, b, k, n, false, packed, 0, Matmul.panelCount(species, n));
            long before = threads.getCurrentThreadAllocatedBytes();
            Matmul.multiplyPacked(species, packed, a, c, m, n, k, 0, m, null, false);
            Softmax.rows(c, c, n, 0, m);
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        System.out.println(BATCH_DONE + " allocated=" + allocated);
    }

    private static MemorySegment unscoped(MemorySegment s) {
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }
}
