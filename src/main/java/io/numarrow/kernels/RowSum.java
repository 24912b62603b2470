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
     * Lane {@code i} to {@code i ^ h} ({@code SWAP_h}; null where {@code h} is not below the lanes): adding
     * a vector to itself so rearranged gives every lane {@code i < h} the contract's {@code [i] + [i + h]}
     * (addition commutes bit for bit), in registers. The folds use them in straight-line code, {@code h}
     * from {@code L/2} down to 1, each step under {@code if (LANES > h)}, which C2 folds away (a
     * constant): a loop over the steps would carry the vector from step to step as the receiver of its
     * Vector API calls, which C2 resolves only through the JVM-wide type profile (docs/design.md).
     */
    static final VectorShuffle<Float> SWAP_32 = swap(32);
    static final VectorShuffle<Float> SWAP_16 = swap(16);
    static final VectorShuffle<Float> SWAP_8 = swap(8);
    static final VectorShuffle<Float> SWAP_4 = swap(4);
    static final VectorShuffle<Float> SWAP_2 = swap(2);
    static final VectorShuffle<Float> SWAP_1 = swap(1);

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
            // the loaded vector first, as in VectorExp's loops: a call on the running sum is resolved only by
            // the shared type profile (docs/design.md); the same bits, the sum of a row of exps holds no NaN
            s0 = FloatVector.fromMemorySegment(S, x, off, ORDER).add(s0);
            s1 = FloatVector.fromMemorySegment(S, x, off + VB, ORDER).add(s1);
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
        if (LANES > 32) {
            s = s.add(s.rearrange(SWAP_32));
        }
        if (LANES > 16) {
            s = s.add(s.rearrange(SWAP_16));
        }
        if (LANES > 8) {
            s = s.add(s.rearrange(SWAP_8));
        }
        if (LANES > 4) {
            s = s.add(s.rearrange(SWAP_4));
        }
        if (LANES > 2) {
            s = s.add(s.rearrange(SWAP_2));
        }
        if (LANES > 1) {
            s = s.add(s.rearrange(SWAP_1));
        }
        return s.lane(0);
    }

    /** {@code SWAP_h}: lane {@code i} to {@code i ^ h}, or null where {@code h} is not below the lanes. */
    private static VectorShuffle<Float> swap(int h) {
        if (LANES > 64) { // the steps above stop at 64 lanes, 2048 bits, the widest vectors a JVM has
            throw new IllegalStateException(LANES + " float lanes");
        }
        return h < LANES ? VectorShuffle.fromOp(S, i -> i ^ h) : null;
    }

    /** {@code sum} plus elements {@code [from, cols)} of the row, one by one in increasing order. */
    static float addTail(MemorySegment x, long base, int from, int cols, float sum) {
        for (int j = from; j < cols; j++) {
            sum += x.get(F, base + (long) j * Float.BYTES);
        }
        return sum;
    }
}
