package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code C[m×n] = A[m×k]·B[k×n]} over row-major float32 segments.
 *
 * <p>This first version is a plain row-by-row loop (i, p, j order so the inner loop streams rows
 * of B and C); the packed, register-blocked Vector API kernel replaces it.
 */
public final class Matmul {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Matmul() {
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of {@code C = A·B}.
     *
     * @param a row-major {@code m×k}
     * @param b row-major {@code k×n}
     * @param c row-major {@code m×n}, overwritten in the given rows
     */
    public static void rows(MemorySegment a, MemorySegment b, MemorySegment c,
                            int k, int n, int rowStart, int rowEnd) {
        for (int i = rowStart; i < rowEnd; i++) {
            long cRow = (long) i * n * Float.BYTES;
            c.asSlice(cRow, (long) n * Float.BYTES).fill((byte) 0);
            long aRow = (long) i * k * Float.BYTES;
            for (int p = 0; p < k; p++) {
                float aip = a.get(F, aRow + (long) p * Float.BYTES);
                long bRow = (long) p * n * Float.BYTES;
                for (int j = 0; j < n; j++) {
                    long off = cRow + (long) j * Float.BYTES;
                    c.set(F, off, c.get(F, off) + aip * b.get(F, bRow + (long) j * Float.BYTES));
                }
            }
        }
    }
}
