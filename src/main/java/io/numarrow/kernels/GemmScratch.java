package io.numarrow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One thread's matmul scratch: the packed block of A, packed B for single-threaded calls, and the tiles'
 * parking space for their sums. Each buffer is allocated the first time it is needed and only replaced when a
 * larger problem needs more, so repeated calls of one shape allocate nothing.
 *
 * <p>Memory comes from an automatic arena: it is freed when the thread (and so its scratch) is gone.
 */
final class GemmScratch {
    private static final long ALIGN = 64;
    private static final ThreadLocal<GemmScratch> PER_THREAD = ThreadLocal.withInitial(GemmScratch::new);

    private MemorySegment packedA = MemorySegment.NULL;
    private MemorySegment packedB = MemorySegment.NULL;
    private MemorySegment tileSums = MemorySegment.NULL;

    static GemmScratch current() {
        return PER_THREAD.get();
    }

    MemorySegment packedA(long bytes) {
        if (packedA.byteSize() < bytes) {
            packedA = Arena.ofAuto().allocate(bytes, ALIGN);
        }
        return packedA;
    }

    MemorySegment tileSums(long bytes) {
        if (tileSums.byteSize() < bytes) {
            tileSums = Arena.ofAuto().allocate(bytes, ALIGN);
        }
        return tileSums;
    }

    MemorySegment packedB(long bytes) {
        if (packedB.byteSize() < bytes) {
            packedB = Arena.ofAuto().allocate(bytes, ALIGN);
        }
        return packedB;
    }
}
