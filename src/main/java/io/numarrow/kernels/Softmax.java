package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax of rows of a row-major float32 matrix: {@code y_j = exp(x_j - max) / Σ exp(x_i - max)}, in
 * three vectorized passes per row: the maximum, then {@code e = exp(x - max)} written out while summed
 * (with {@link VectorExp}), then a scale by {@code 1/sum}. A row is read from memory once; the second and
 * third passes find it in cache, so long rows run at memory speed and short ones at exp speed.
 *
 * <p>Defined results for every input: subtracting the row maximum keeps every exponent ≤ 0, so no row
 * overflows and the sum is at least 1. Entries of {@code -inf} give 0. A row whose entries are all
 * {@code -inf} has no defined softmax ({@code 0/0}) and gives NaN in every entry; so does a row holding
 * a NaN (NaN in, NaN out, never a silent 0) or {@code +inf}.
 */
public final class Softmax {
    private static final VectorSpecies<Float> S = VectorExp.SPECIES;
    private static final int LANES = S.length();
    private static final long VB = S.vectorByteSize();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private Softmax() {
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of {@code out = softmax(in)}, each of {@code cols} floats;
     * {@code in} and {@code out} may be the same segment (in place).
     */
    public static void rows(MemorySegment in, MemorySegment out, int cols, int rowStart, int rowEnd) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(out, "out");
        if (cols < 0 || rowStart < 0 || rowEnd < rowStart) {
            throw new IllegalArgumentException("bad softmax range: rows " + rowStart + ".." + rowEnd + " of " + cols + " columns");
        }
        long need = (long) rowEnd * cols * Float.BYTES;
        if (in.byteSize() < need || out.byteSize() < need) {
            throw new IllegalArgumentException("softmax of rows up to " + rowEnd + " × " + cols + " needs " + need
                    + " bytes; input has " + in.byteSize() + ", output " + out.byteSize());
        }
        long rowBytes = (long) cols * Float.BYTES;
        for (int r = rowStart; r < rowEnd; r++) {
            row(in, out, (long) r * rowBytes, cols);
        }
    }

    /**
     * One row of {@code cols} floats at byte offset {@code base} of both segments. Each pass is one
     * method taking only scalars: vectors and masks never cross a call, so nothing is ever boxed.
     */
    static void row(MemorySegment in, MemorySegment out, long base, int cols) {
        if (cols == 0) {
            return;
        }
        float max = max(in, base, cols);
        if (Float.isNaN(max) || Float.isInfinite(max)) {
            // NaN or +inf in the row, or every entry -inf: no defined softmax.
            fill(out, base, cols, Float.NaN);
            return;
        }
        float sum = VectorExp.expMinusMaxAndSum(in, out, base, cols, max);
        scale(out, base, cols, 1f / sum);
    }

    /** The row's maximum; NaN if any entry is NaN (lanewise MAX follows {@link Math#max}). */
    private static float max(MemorySegment in, long base, int cols) {
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m0 = ninf;
        FloatVector m1 = ninf;
        int full2 = cols - cols % (2 * LANES);
        long end2 = base + (long) full2 * Float.BYTES;
        long off = base;
        for (; off < end2; off += 2 * VB) {
            m0 = m0.max(FloatVector.fromMemorySegment(S, in, off, ORDER));
            m1 = m1.max(FloatVector.fromMemorySegment(S, in, off + VB, ORDER));
        }
        long end = base + (long) cols * Float.BYTES;
        for (; off < end; off += VB) {
            VectorMask<Float> valid = S.indexInRange((off - base) / Float.BYTES, cols);
            m0 = m0.max(FloatVector.fromMemorySegment(S, in, off, ORDER, valid).blend(ninf, valid.not()));
        }
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    private static void scale(MemorySegment out, long base, int cols, float factor) {
        FloatVector f = FloatVector.broadcast(S, factor);
        long end = base + (long) cols * Float.BYTES;
        for (long off = base; off < end; off += VB) {
            VectorMask<Float> valid = S.indexInRange((off - base) / Float.BYTES, cols);
            FloatVector.fromMemorySegment(S, out, off, ORDER, valid).mul(f).intoMemorySegment(out, off, ORDER, valid);
        }
    }

    private static void fill(MemorySegment out, long base, int cols, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        long end = base + (long) cols * Float.BYTES;
        for (long off = base; off < end; off += VB) {
            VectorMask<Float> valid = S.indexInRange((off - base) / Float.BYTES, cols);
            v.intoMemorySegment(out, off, ORDER, valid);
        }
    }
}
