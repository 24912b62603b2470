package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Softmax of rows of a row-major float32 matrix: {@code y_j = exp(x_j - max) / Σ exp(x_i - max)}.
 *
 * <p>Subtracting the row maximum keeps every exponent at most 0, so no row overflows. Entries of
 * {@code -inf} give 0. A row whose entries are all {@code -inf} has no defined softmax (0/0) and
 * gives NaN, as does any row holding a NaN or {@code +inf}.
 */
public final class Softmax {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Softmax() {
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of {@code out = softmax(in)}, each of {@code cols} floats;
     * {@code in} and {@code out} may be the same segment.
     */
    public static void rows(MemorySegment in, MemorySegment out, int cols, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            long base = (long) r * cols * Float.BYTES;
            float max = Float.NEGATIVE_INFINITY;
            boolean sawNaN = false;
            for (int j = 0; j < cols; j++) {
                float x = in.get(F, base + (long) j * Float.BYTES);
                sawNaN |= Float.isNaN(x);
                max = Math.max(max, x);
            }
            if (sawNaN || max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY) {
                for (int j = 0; j < cols; j++) {
                    out.set(F, base + (long) j * Float.BYTES, Float.NaN);
                }
                continue;
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                long off = base + (long) j * Float.BYTES;
                float e = (float) Math.exp(in.get(F, off) - max);
                out.set(F, off, e);
                sum += e;
            }
            float scale = (float) (1.0 / sum);
            for (int j = 0; j < cols; j++) {
                long off = base + (long) j * Float.BYTES;
                out.set(F, off, out.get(F, off) * scale);
            }
        }
    }
}
