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

    /** One row of {@code cols} floats at byte offset {@code base} of both segments. */
    static void row(MemorySegment in, MemorySegment out, long base, int cols) {
        if (cols == 0) {
            return;
        }
        int full = cols - cols % LANES;
        long fullEnd = base + (long) full * Float.BYTES;
        VectorMask<Float> tail = S.indexInRange(full, cols);

        float max = max(in, base, fullEnd, tail);
        if (Float.isNaN(max) || Float.isInfinite(max)) {
            // NaN or +inf in the row, or every entry -inf: no defined softmax.
            fill(out, base, fullEnd, tail, Float.NaN);
            return;
        }
        FloatVector vmax = FloatVector.broadcast(S, max);
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        long off = base;
        for (; off + 2 * VB <= fullEnd; off += 2 * VB) {
            FloatVector e0 = VectorExp.expNonPositive(FloatVector.fromMemorySegment(S, in, off, ORDER).sub(vmax));
            FloatVector e1 = VectorExp.expNonPositive(FloatVector.fromMemorySegment(S, in, off + VB, ORDER).sub(vmax));
            e0.intoMemorySegment(out, off, ORDER);
            e1.intoMemorySegment(out, off + VB, ORDER);
            s0 = s0.add(e0);
            s1 = s1.add(e1);
        }
        for (; off < fullEnd; off += VB) {
            FloatVector e = VectorExp.expNonPositive(FloatVector.fromMemorySegment(S, in, off, ORDER).sub(vmax));
            e.intoMemorySegment(out, off, ORDER);
            s0 = s0.add(e);
        }
        if (tail.anyTrue()) {
            FloatVector e = VectorExp.expNonPositive(FloatVector.fromMemorySegment(S, in, off, ORDER, tail).sub(vmax));
            e = e.blend(0f, tail.not());
            e.intoMemorySegment(out, off, ORDER, tail);
            s0 = s0.add(e);
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        FloatVector scale = FloatVector.broadcast(S, 1f / sum);
        for (off = base; off < fullEnd; off += VB) {
            FloatVector.fromMemorySegment(S, out, off, ORDER).mul(scale).intoMemorySegment(out, off, ORDER);
        }
        if (tail.anyTrue()) {
            FloatVector.fromMemorySegment(S, out, off, ORDER, tail).mul(scale).intoMemorySegment(out, off, ORDER, tail);
        }
    }

    /** The row's maximum; NaN if any entry is NaN (lanewise MAX follows {@link Math#max}). */
    private static float max(MemorySegment in, long base, long fullEnd, VectorMask<Float> tail) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m1 = m0;
        long off = base;
        for (; off + 2 * VB <= fullEnd; off += 2 * VB) {
            m0 = m0.max(FloatVector.fromMemorySegment(S, in, off, ORDER));
            m1 = m1.max(FloatVector.fromMemorySegment(S, in, off + VB, ORDER));
        }
        for (; off < fullEnd; off += VB) {
            m0 = m0.max(FloatVector.fromMemorySegment(S, in, off, ORDER));
        }
        if (tail.anyTrue()) {
            FloatVector t = FloatVector.fromMemorySegment(S, in, off, ORDER, tail);
            m1 = m1.max(t.blend(Float.NEGATIVE_INFINITY, tail.not()));
        }
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    private static void fill(MemorySegment out, long base, long fullEnd, VectorMask<Float> tail, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        long off = base;
        for (; off < fullEnd; off += VB) {
            v.intoMemorySegment(out, off, ORDER);
        }
        if (tail.anyTrue()) {
            v.intoMemorySegment(out, off, ORDER, tail);
        }
    }
}
