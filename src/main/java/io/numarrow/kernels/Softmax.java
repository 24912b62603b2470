package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax of rows of a row-major float32 matrix: {@code y_j = exp(x_j - max) / Σ exp(x_i - max)}, in
 * three vectorized passes per row: the maximum, then {@code e = exp(x - max)} written out while summed
 * (with {@link VectorExp}), then a scale by {@code 1/sum}. A row is read from memory once; the later
 * passes find it in cache, and the exp pass reads one int per vector of the next row, so that row's
 * lines come from memory while this one computes (otherwise the memory sat idle during the exp and
 * scale passes, the FPU during the maximum's). Each pass is one method taking only scalars: vectors
 * and masks never cross a method call, where the JIT would box them. The next row's maximum is not folded into this row's
 * loops: the work is bound by exp, not by memory, and folding measured slower (docs/performance.md).
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
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rows shorter than this take the block path ({@link #shortRows}); longer ones go row by row. */
    static final int MIN_ALIGNED_COLS = 8 * LANES;
    /**
     * Rows narrower than this are not split for alignment: their split's scalar ends and second sum cost
     * more than the straddled lines save (2-4× slower at 256 columns, docs/performance.md).
     */
    static final int MIN_SPLIT_COLS = 1024;

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
        if (cols == 0 || rowStart == rowEnd) {
            return;
        }
        // Liveness once per call, as Matmul's entry does: a closed arena throws here, before any write
        in.get(ValueLayout.JAVA_BYTE, 0);
        out.get(ValueLayout.JAVA_BYTE, 0);
        long rowBytes = (long) cols * Float.BYTES;
        MemorySegment chains = RowSum.scratch();
        if (cols < MIN_ALIGNED_COLS) {
            shortRows(in, out, cols, rowStart, rowEnd, chains);
            return;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            long base = (long) r * rowBytes;
            long ahead = r + 1 < rowEnd ? rowBytes : 0;
            int head = alignedHead(out, base, cols);
            long rest = base + (long) head * Float.BYTES;
            int restCols = cols - head;
            float max = head == 0 ? max(in, base, cols) : Math.max(max(in, base, head), max(in, rest, restCols));
            if (Float.isNaN(max) || Float.isInfinite(max)) {
                // NaN or +inf in the row, or every entry -inf: no defined softmax.
                fill(out, base, cols, Float.NaN);
            } else if (head == 0) {
                float sum = VectorExp.expMinusMaxAndSum(in, out, base, cols, max, chains, ahead);
                scale(out, base, cols, 1f / sum);
            } else {
                // The split's vectors are not the row's: their sums are dropped and the row summed again
                // from the output (in cache) in the row's own vectors, so the bits do not depend on where
                // the output lies (docs/reproducibility.md)
                VectorExp.expMinusMaxAndSum(in, out, base, head, max, chains, ahead);
                VectorExp.expMinusMaxAndSum(in, out, rest, restCols, max, chains, ahead);
                float sum = RowSum.of(out, base, cols, chains);
                scale(out, base, head, 1f / sum);
                scale(out, rest, restCols, 1f / sum);
            }
        }
    }

    /**
     * Rows shorter than {@link #MIN_ALIGNED_COLS} (never split), {@link RowSum#BLOCK_ROWS} at a time: one
     * pass over the block for the maxima, one for the exps and sums, one for the scaling, each a method
     * looping over the rows. Row by row, a row of a few vectors spent most of its instructions on calls,
     * constants and segment checks, and waited on its chain of reductions; here those are paid once per
     * block and the rows' chains overlap. Every row's values and sum order are the long rows'.
     */
    private static void shortRows(MemorySegment in, MemorySegment out, int cols, int rowStart, int rowEnd,
                                  MemorySegment scratch) {
        long rowBytes = (long) cols * Float.BYTES;
        for (int block = rowStart; block < rowEnd; block += RowSum.BLOCK_ROWS) {
            int rows = Math.min(RowSum.BLOCK_ROWS, rowEnd - block);
            long first = (long) block * rowBytes;
            maxima(in, first, cols, rows, scratch);
            VectorExp.expRowsAndScales(in, out, first, cols, rows, scratch);
            scaleRows(out, first, cols, rows, scratch);
        }
    }

    /**
     * Each short row's maximum (as {@link #max}: NaN if the row holds one) into {@code scratch} at
     * {@link RowSum#ROW_MAXIMA}, for {@code rows} rows of {@code cols} floats from byte offset
     * {@code first}. One compare-and-blend chain per row: the rows' chains are independent.
     */
    private static void maxima(MemorySegment in, long first, int cols, int rows, MemorySegment scratch) {
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long rowBytes = (long) cols * Float.BYTES;
        int whole = cols - cols % LANES;
        for (int i = 0; i < rows; i++) {
            long base = first + i * rowBytes;
            FloatVector m = ninf;
            FloatVector nan = FloatVector.zero(S);
            for (int j = 0; j < whole; j += LANES) {
                FloatVector x = FloatVector.fromMemorySegment(S, in, base + (long) j * Float.BYTES, ORDER);
                // x, not the running m or nan, is each call's receiver (as in maxOfVectors)
                m = x.blend(m, x.compare(VectorOperators.LE, m));
                nan = ninf.blend(nan, x.compare(VectorOperators.EQ, x));
            }
            // the lanes merged in halves, in straight-line code as RowSum.fold's (a loop would carry m as a receiver)
            if (LANES > 32) {
                FloatVector other = m.rearrange(RowSum.SWAP_32);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            if (LANES > 16) {
                FloatVector other = m.rearrange(RowSum.SWAP_16);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            if (LANES > 8) {
                FloatVector other = m.rearrange(RowSum.SWAP_8);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            if (LANES > 4) {
                FloatVector other = m.rearrange(RowSum.SWAP_4);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            if (LANES > 2) {
                FloatVector other = m.rearrange(RowSum.SWAP_2);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            if (LANES > 1) {
                FloatVector other = m.rearrange(RowSum.SWAP_1);
                m = m.blend(other, m.compare(VectorOperators.LT, other));
            }
            float max = ninf.compare(VectorOperators.EQ, nan).anyTrue() ? Float.NaN : m.lane(0);
            for (int j = whole; j < cols; j++) {
                float x = in.get(F, base + (long) j * Float.BYTES);
                max = x > max || x != x ? x : max;
            }
            scratch.set(F, RowSum.ROW_MAXIMA + (long) i * Float.BYTES, max);
        }
    }

    /** {@link #scale} of each short row by its factor in {@code scratch}; rows whose factor is NaN are left (NaN already). */
    private static void scaleRows(MemorySegment out, long first, int cols, int rows, MemorySegment scratch) {
        long rowBytes = (long) cols * Float.BYTES;
        int whole = cols - cols % LANES;
        for (int i = 0; i < rows; i++) {
            float factor = scratch.get(F, RowSum.ROW_SCALES + (long) i * Float.BYTES);
            if (Float.isNaN(factor)) {
                continue;
            }
            long base = first + i * rowBytes;
            FloatVector f = FloatVector.broadcast(S, factor);
            for (int j = 0; j < whole; j += LANES) {
                long off = base + (long) j * Float.BYTES;
                FloatVector.fromMemorySegment(S, out, off, ORDER).mul(f).intoMemorySegment(out, off, ORDER);
            }
            for (int j = whole; j < cols; j++) {
                long off = base + (long) j * Float.BYTES;
                out.set(F, off, out.get(F, off) * factor);
            }
        }
    }

    /**
     * How many leading floats of a row to take apart so that the rest of it starts on a vector boundary
     * of {@code out}: 0 for aligned rows and for rows under {@link #MIN_SPLIT_COLS}, where the split costs
     * more than it saves.
     * Buffers from Arrow's default allocator start 16 bytes past a cache line (malloc), and then every
     * vector load and store of a long row straddles two lines (the cost: docs/performance.md, "Memory").
     * The sum's order does not follow the split (see {@link RowSum}).
     */
    static int alignedHead(MemorySegment out, long base, int cols) {
        long address = out.address() + base;
        if (cols < MIN_SPLIT_COLS || address % Float.BYTES != 0) {
            return 0;
        }
        return (int) (Math.floorMod(-address, VB) / Float.BYTES);
    }

    /**
     * The row's maximum, or NaN if it holds a NaN. In parts, each its own method passing only scalars, to
     * keep every method that calls the Vector API small: in a JVM whose profiles made this one method
     * large, C2 was seen leaving every Vector API call in it to the boxing fallbacks (docs/performance.md).
     */
    static float max(MemorySegment in, long base, int cols) {
        int full = cols - cols % LANES;
        float max = full == 0 ? Float.NEGATIVE_INFINITY : maxOfVectors(in, base, full);
        // The last partial vector in scalar code: no masks in these passes (see VectorExp.expMinusMaxScalar)
        for (int j = full; j < cols; j++) {
            float x = in.get(F, base + (long) j * Float.BYTES);
            max = x > max || x != x ? x : max;
        }
        return max;
    }

    /**
     * The maximum of {@code cols} floats, a multiple of the vector, or NaN if one is NaN. Four
     * compare-and-blend chains, then the chains and the lanes merged the same way (lanes by
     * {@link RowSum#SWAP_1} and the others): lanewise MAX and {@code reduceLanes(MAX)}, with Java's NaN rules, have
     * about 10 cycles of latency per step, ran the long rows' loop at half this speed and were most of a
     * short row's time. NaNs are found apart, so the blends never meet one; which of {@code -0} and
     * {@code +0} wins a tie changes no output bit ({@code max - x} then rounds the same in the exp).
     */
    private static float maxOfVectors(MemorySegment in, long base, int cols) {
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        FloatVector m0 = ninf;
        FloatVector m1 = ninf;
        FloatVector m2 = ninf;
        FloatVector m3 = ninf;
        FloatVector nan = FloatVector.zero(S);
        long end = base + (long) cols * Float.BYTES;
        long quadEnd = base + (long) (cols - cols % (4 * LANES)) * Float.BYTES;
        long off = base;
        // Each step keeps the larger as x.blend(m, x <= m), and marks NaN as ninf.blend(nan, no NaN): the
        // loaded x and the constant ninf are the calls' receivers, never the running m or nan, whose class C2
        // would know only from the shared type profile (docs/design.md). Where x is not NaN this keeps what
        // m.blend(x, m < x) kept, ties and zeros alike; where it is, the row's result is NaN anyway.
        for (; off < quadEnd; off += 4 * VB) {
            FloatVector x0 = FloatVector.fromMemorySegment(S, in, off, ORDER);
            FloatVector x1 = FloatVector.fromMemorySegment(S, in, off + VB, ORDER);
            FloatVector x2 = FloatVector.fromMemorySegment(S, in, off + 2 * VB, ORDER);
            FloatVector x3 = FloatVector.fromMemorySegment(S, in, off + 3 * VB, ORDER);
            m0 = x0.blend(m0, x0.compare(VectorOperators.LE, m0));
            m1 = x1.blend(m1, x1.compare(VectorOperators.LE, m1));
            m2 = x2.blend(m2, x2.compare(VectorOperators.LE, m2));
            m3 = x3.blend(m3, x3.compare(VectorOperators.LE, m3));
            // Only a NaN is unequal to itself. (A sum of the four was tested before: finite values whose
            // sums overflow to +inf and -inf made a defined row NaN.)
            VectorMask<Float> numbers = x0.compare(VectorOperators.EQ, x0).and(x1.compare(VectorOperators.EQ, x1))
                    .and(x2.compare(VectorOperators.EQ, x2)).and(x3.compare(VectorOperators.EQ, x3));
            nan = ninf.blend(nan, numbers);
        }
        for (; off < end; off += VB) {
            FloatVector x = FloatVector.fromMemorySegment(S, in, off, ORDER);
            m0 = x.blend(m0, x.compare(VectorOperators.LE, m0));
            nan = ninf.blend(nan, x.compare(VectorOperators.EQ, x));
        }
        m0 = m0.blend(m1, m0.compare(VectorOperators.LT, m1));
        m2 = m2.blend(m3, m2.compare(VectorOperators.LT, m3));
        m0 = m0.blend(m2, m0.compare(VectorOperators.LT, m2));
        // the lanes merged in halves, in straight-line code as RowSum.fold's (a loop would carry m0 as a receiver)
        if (LANES > 32) {
            FloatVector other = m0.rearrange(RowSum.SWAP_32);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        if (LANES > 16) {
            FloatVector other = m0.rearrange(RowSum.SWAP_16);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        if (LANES > 8) {
            FloatVector other = m0.rearrange(RowSum.SWAP_8);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        if (LANES > 4) {
            FloatVector other = m0.rearrange(RowSum.SWAP_4);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        if (LANES > 2) {
            FloatVector other = m0.rearrange(RowSum.SWAP_2);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        if (LANES > 1) {
            FloatVector other = m0.rearrange(RowSum.SWAP_1);
            m0 = m0.blend(other, m0.compare(VectorOperators.LT, other));
        }
        return ninf.compare(VectorOperators.EQ, nan).anyTrue() ? Float.NaN : m0.lane(0);
    }

    static void scale(MemorySegment out, long base, int cols, float factor) {
        FloatVector f = FloatVector.broadcast(S, factor);
        int full = cols - cols % LANES;
        // Vector body, scalar tail: a mask made every step cost six times the work here, and masks at all
        // risk slow compiled code (see VectorExp.expMinusMaxScalar)
        for (int j = 0; j < full; j += LANES) {
            long off = base + (long) j * Float.BYTES;
            FloatVector.fromMemorySegment(S, out, off, ORDER).mul(f).intoMemorySegment(out, off, ORDER);
        }
        for (int j = full; j < cols; j++) {
            long off = base + (long) j * Float.BYTES;
            out.set(F, off, out.get(F, off) * factor);
        }
    }

    static void fill(MemorySegment out, long base, int cols, float value) {
        FloatVector v = FloatVector.broadcast(S, value);
        int full = cols - cols % LANES;
        for (int j = 0; j < full; j += LANES) {
            v.intoMemorySegment(out, base + (long) j * Float.BYTES, ORDER);
        }
        for (int j = full; j < cols; j++) {
            out.set(F, base + (long) j * Float.BYTES, value);
        }
    }
}
