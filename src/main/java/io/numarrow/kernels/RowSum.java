package io.numarrow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one order in which softmax sums a row (docs/reproducibility.md, "Softmax" step 3), so that the
 * sum's bits depend only on the row's length and the JVM's vector width: never on the JIT tier, the
 * output's alignment or which thread ran the row.
 *
 * <p>Whole vectors {@code v} of the row (elements {@code [vL, vL + L)}) go into two lane-wise chains,
 * even {@code v} into {@code S0} and odd into {@code S1}; then {@code S = S0 + S1}, folded in halves
 * ({@code [0, L/2) += [L/2, L)}, until one lane is left); then the elements after the last whole vector,
 * one by one. {@code reduceLanes(ADD)} is not used: its order is unspecified, and C2's intrinsic and the
 * Java fallback differ.
 *
 * <p>The chains live in a small per-thread scratch between the methods that build them: a vector passed
 * across a method call the JIT does not inline is boxed, and softmax's exp pass is split into small
 * methods for the JIT's sake (see {@link VectorExp#expMinusMaxAndSum}).
 */
final class RowSum {
    private static final VectorSpecies<Float> S = VectorExp.SPECIES;
    private static final int LANES = S.length();
    private static final long VB = S.vectorByteSize();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Rows softmax takes through each of its passes at a time when they are short ({@link Softmax}). */
    static final int BLOCK_ROWS = 32;
    /** Where in the scratch a pass may leave a value only so that the JIT keeps the reads behind it. */
    static final long SINK_OFFSET = 2 * VB;
    /** Where in the scratch the short-row passes keep a block's row maxima and {@code 1/sum} factors (floats). */
    static final long ROW_MAXIMA = SINK_OFFSET + 64;
    static final long ROW_SCALES = ROW_MAXIMA + BLOCK_ROWS * Float.BYTES;
    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ROW_SCALES + BLOCK_ROWS * Float.BYTES, 64));
    /**
     * Lane {@code i} to {@code i ^ h} for {@code h = L/2, L/4, …, 1}: adding a vector to itself so
     * rearranged gives every lane {@code i < h} the contract's {@code [i] + [i + h]} (addition commutes
     * bit for bit), in registers.
     */
    static final VectorShuffle<Float>[] HALVES = halves();

    private RowSum() {
    }

    /** This thread's two chains ({@code S0} at 0, {@code S1} at one vector): fetch once per call, not per row. */
    static MemorySegment scratch() {
        return SCRATCH.get();
    }

    /** The sum of {@code cols} floats of {@code x} at byte offset {@code base}, in the contract's order. */
    static float of(MemorySegment x, long base, int cols, MemorySegment chains) {
        int full2 = cols - cols % (2 * LANES);
        if (full2 == 0) {
            clear(chains);
        } else {
            pairs(x, base, full2, chains);
        }
        int j = full2;
        if (j + LANES <= cols) {
            addToEvenChain(x, base + (long) j * Float.BYTES, chains);
            j += LANES;
        }
        return addTail(x, base, j, cols, fold(chains));
    }

    /** Both chains over {@code cols} floats, a multiple of two vectors, stored into {@code chains}. */
    private static void pairs(MemorySegment x, long base, int cols, MemorySegment chains) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        long end = base + (long) cols * Float.BYTES;
        for (long off = base; off < end; off += 2 * VB) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, x, off, ORDER));
            s1 = s1.add(FloatVector.fromMemorySegment(S, x, off + VB, ORDER));
        }
        s0.intoMemorySegment(chains, 0, ORDER);
        s1.intoMemorySegment(chains, VB, ORDER);
    }

    /** Both chains empty: a row with fewer than two whole vectors. */
    static void clear(MemorySegment chains) {
        FloatVector z = FloatVector.zero(S);
        z.intoMemorySegment(chains, 0, ORDER);
        z.intoMemorySegment(chains, VB, ORDER);
    }

    /** The row's last whole vector when their count is odd (so its index is even): into {@code S0}. */
    static void addToEvenChain(MemorySegment x, long off, MemorySegment chains) {
        FloatVector.fromMemorySegment(S, chains, 0, ORDER).add(FloatVector.fromMemorySegment(S, x, off, ORDER))
                .intoMemorySegment(chains, 0, ORDER);
    }

    /**
     * {@code S0 + S1}, then folded in halves to one lane, in registers: the scalar halving through
     * memory it replaces was a chain of dependent loads and stores, long for a short row.
     */
    static float fold(MemorySegment chains) {
        FloatVector s = FloatVector.fromMemorySegment(S, chains, 0, ORDER).add(FloatVector.fromMemorySegment(S, chains, VB, ORDER));
        for (VectorShuffle<Float> half : HALVES) {
            s = s.add(s.rearrange(half));
        }
        return s.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] halves() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] halves = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int h = LANES >> (k + 1);
            halves[k] = VectorShuffle.fromOp(S, i -> i ^ h);
        }
        return halves;
    }

    /** {@code sum} plus elements {@code [from, cols)} of the row, one by one in increasing order. */
    static float addTail(MemorySegment x, long base, int from, int cols, float sum) {
        for (int j = from; j < cols; j++) {
            sum += x.get(F, base + (long) j * Float.BYTES);
        }
        return sum;
    }
}
