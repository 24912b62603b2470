package io.numarrow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernel operands that start anywhere within a cache line, for the alignment tests: Arrow's buffers
 * and callers' slices need not start on a 64-byte boundary, and the kernels must not care.
 */
final class ShiftedSegments {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ShiftedSegments() {
    }

    /** Room for {@code floats} floats, starting {@code shift} floats past a 64-byte boundary. */
    static MemorySegment allocate(Arena arena, long floats, int shift) {
        long bytes = floats * Float.BYTES;
        return arena.allocate(bytes + 64, 64).asSlice((long) shift * Float.BYTES, bytes);
    }

    /** {@code values} copied to {@code shift} floats past a 64-byte boundary. */
    static MemorySegment copy(Arena arena, float[] values, int shift) {
        MemorySegment s = allocate(arena, values.length, shift);
        MemorySegment.copy(values, 0, s, F, 0, values.length);
        return s;
    }

    /** What a row test checks on one pair: {@code in} holds a copy of the rows, {@code out} is fresh. */
    interface RowCheck {
        void at(MemorySegment in, MemorySegment out, int inShift, int outShift);
    }

    /**
     * Runs {@code check} with the output 0 to 15 floats past a 64-byte boundary and the input at the
     * same shift or 5 floats further (mod 16): alike and differently misaligned pairs.
     */
    static void everyShift(float[] rows, RowCheck check) {
        for (int outShift = 0; outShift < 16; outShift++) {
            for (int inShift : new int[]{outShift, (outShift + 5) % 16}) {
                try (Arena arena = Arena.ofConfined()) {
                    check.at(copy(arena, rows, inShift), allocate(arena, rows.length, outShift), inShift, outShift);
                }
            }
        }
    }
}
