package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 32-wide 512-bit tiles' narrow twin, for a panel of packed B with at most one vector (16 columns) of
 * real columns: 16 rows of C (consecutive rows of packed A, whose groups lie one after the other) against
 * the panel's first vector only, where the masked tile computes the panel's zero padding too. Every
 * element's chain of fmas is the wide tiles' (the same kc, the same order, the same finish), so the bits
 * are the same (docs/reproducibility.md); it is chosen by {@link Matmul} per panel, not by {@link TileChoice}.
 *
 * <p>Hand-written, unlike the generated tiles, and under their rules: a constant species, separate
 * accumulator locals, the broadcast of A (never a running sum) as each call's receiver, an unchecked twin
 * over {@link #ALL}.
 */
final class MicroKernel512Narrow {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_512;
    /** Rows of C per narrow tile: 16 consecutive rows of packed A (two groups of the 8×32 tile). */
    static final int MR = 16;
    /** Columns this tile computes: one vector. */
    static final int WIDTH = 16;
    /** Columns of the panels it reads: those of every 32-wide 512-bit tile, whose bits it keeps. */
    static final int PANEL = MicroKernel512x8x2.NR;
    /** The panel's stride per K step. */
    private static final long B_STEP = (long) PANEL * Float.BYTES;
    private static final long VB = SPECIES.vectorByteSize();
    private static final long AR = Packing.A_ROW_BYTES;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private MicroKernel512Narrow() {
    }

    /**
     * {@code C[16×nv] (=|+=) A·B (+ bias)} for {@code nv <= 16}: rows {@code i} of A at
     * {@code aOff + i·Packing.A_ROW_BYTES}, the panel at {@code bOff}, the sums through {@code t}
     * (at least {@code 16·16} floats).
     */
    static void tile(MemorySegment a, long aOff, MemorySegment b, long bOff, int kc,
                     MemorySegment c, long cOff, long cRowStride, boolean loadC, MemorySegment bias, long biasOff,
                     MemorySegment t, int nv, boolean unchecked) {
        if (unchecked) {
            sumsUnchecked(a, aOff, b, bOff, kc, t, 0);
            finishUnchecked(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, nv);
        } else {
            sums(a, aOff, b, bOff, kc, t, 0);
            finish(t, 0, c, cOff, cRowStride, loadC, bias, biasOff, nv);
        }
    }

    /** The 16 rows' sums over a K block, row {@code i} to {@code tOff + i·VB}. */
    static void sums(MemorySegment a, long aOff, MemorySegment b, long bOff, int kc, MemorySegment t, long tOff) {
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        FloatVector c8 = z, c9 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z;
        for (int p = 0; p < kc; p++) {
            long pa = aOff + (long) p * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, b, bOff + p * B_STEP, ORDER);
            c0 = FloatVector.broadcast(SPECIES, a.get(F, pa)).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, a.get(F, pa + AR)).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, a.get(F, pa + 2 * AR)).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, a.get(F, pa + 3 * AR)).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, a.get(F, pa + 4 * AR)).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, a.get(F, pa + 5 * AR)).fma(b0, c5);
            c6 = FloatVector.broadcast(SPECIES, a.get(F, pa + 6 * AR)).fma(b0, c6);
            c7 = FloatVector.broadcast(SPECIES, a.get(F, pa + 7 * AR)).fma(b0, c7);
            c8 = FloatVector.broadcast(SPECIES, a.get(F, pa + 8 * AR)).fma(b0, c8);
            c9 = FloatVector.broadcast(SPECIES, a.get(F, pa + 9 * AR)).fma(b0, c9);
            c10 = FloatVector.broadcast(SPECIES, a.get(F, pa + 10 * AR)).fma(b0, c10);
            c11 = FloatVector.broadcast(SPECIES, a.get(F, pa + 11 * AR)).fma(b0, c11);
            c12 = FloatVector.broadcast(SPECIES, a.get(F, pa + 12 * AR)).fma(b0, c12);
            c13 = FloatVector.broadcast(SPECIES, a.get(F, pa + 13 * AR)).fma(b0, c13);
            c14 = FloatVector.broadcast(SPECIES, a.get(F, pa + 14 * AR)).fma(b0, c14);
            c15 = FloatVector.broadcast(SPECIES, a.get(F, pa + 15 * AR)).fma(b0, c15);
        }
        c0.intoMemorySegment(t, tOff, ORDER);
        c1.intoMemorySegment(t, tOff + VB, ORDER);
        c2.intoMemorySegment(t, tOff + 2 * VB, ORDER);
        c3.intoMemorySegment(t, tOff + 3 * VB, ORDER);
        c4.intoMemorySegment(t, tOff + 4 * VB, ORDER);
        c5.intoMemorySegment(t, tOff + 5 * VB, ORDER);
        c6.intoMemorySegment(t, tOff + 6 * VB, ORDER);
        c7.intoMemorySegment(t, tOff + 7 * VB, ORDER);
        c8.intoMemorySegment(t, tOff + 8 * VB, ORDER);
        c9.intoMemorySegment(t, tOff + 9 * VB, ORDER);
        c10.intoMemorySegment(t, tOff + 10 * VB, ORDER);
        c11.intoMemorySegment(t, tOff + 11 * VB, ORDER);
        c12.intoMemorySegment(t, tOff + 12 * VB, ORDER);
        c13.intoMemorySegment(t, tOff + 13 * VB, ORDER);
        c14.intoMemorySegment(t, tOff + 14 * VB, ORDER);
        c15.intoMemorySegment(t, tOff + 15 * VB, ORDER);
    }

    /**
     * The 16 rows' first {@code nv} columns from their sums: sum, plus the bias, plus C, in the 8×32
     * tile's order; full vectors when {@code nv} is the vector.
     */
    static void finish(MemorySegment t, long tOff, MemorySegment c, long cOff, long cRowStride, boolean loadC,
                       MemorySegment bias, long biasOff, int nv) {
        VectorMask<Float> m = SPECIES.indexInRange(0, nv);
        for (int i = 0; i < MR; i++) {
            long o = cOff + i * cRowStride;
            FloatVector s = FloatVector.fromMemorySegment(SPECIES, t, tOff + i * VB, ORDER);
            if (nv == WIDTH) {
                if (bias != null) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER));
                }
                if (loadC) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, c, o, ORDER));
                }
                s.intoMemorySegment(c, o, ORDER);
            } else {
                if (bias != null) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER, m));
                }
                if (loadC) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, c, o, ORDER, m));
                }
                s.intoMemorySegment(c, o, ORDER, m);
            }
        }
    }

    /** {@link #sums} over native segments whose bounds, liveness and thread the caller has checked. */
    static void sumsUnchecked(MemorySegment a, long aOff, MemorySegment b, long bOff, int kc, MemorySegment t, long tOff) {
        aOff += a.address();
        bOff += b.address();
        tOff += t.address();
        a = ALL;
        b = ALL;
        t = ALL;
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
        FloatVector c8 = z, c9 = z, c10 = z, c11 = z, c12 = z, c13 = z, c14 = z, c15 = z;
        for (int p = 0; p < kc; p++) {
            long pa = aOff + (long) p * Float.BYTES;
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, b, bOff + p * B_STEP, ORDER);
            c0 = FloatVector.broadcast(SPECIES, a.get(F, pa)).fma(b0, c0);
            c1 = FloatVector.broadcast(SPECIES, a.get(F, pa + AR)).fma(b0, c1);
            c2 = FloatVector.broadcast(SPECIES, a.get(F, pa + 2 * AR)).fma(b0, c2);
            c3 = FloatVector.broadcast(SPECIES, a.get(F, pa + 3 * AR)).fma(b0, c3);
            c4 = FloatVector.broadcast(SPECIES, a.get(F, pa + 4 * AR)).fma(b0, c4);
            c5 = FloatVector.broadcast(SPECIES, a.get(F, pa + 5 * AR)).fma(b0, c5);
            c6 = FloatVector.broadcast(SPECIES, a.get(F, pa + 6 * AR)).fma(b0, c6);
            c7 = FloatVector.broadcast(SPECIES, a.get(F, pa + 7 * AR)).fma(b0, c7);
            c8 = FloatVector.broadcast(SPECIES, a.get(F, pa + 8 * AR)).fma(b0, c8);
            c9 = FloatVector.broadcast(SPECIES, a.get(F, pa + 9 * AR)).fma(b0, c9);
            c10 = FloatVector.broadcast(SPECIES, a.get(F, pa + 10 * AR)).fma(b0, c10);
            c11 = FloatVector.broadcast(SPECIES, a.get(F, pa + 11 * AR)).fma(b0, c11);
            c12 = FloatVector.broadcast(SPECIES, a.get(F, pa + 12 * AR)).fma(b0, c12);
            c13 = FloatVector.broadcast(SPECIES, a.get(F, pa + 13 * AR)).fma(b0, c13);
            c14 = FloatVector.broadcast(SPECIES, a.get(F, pa + 14 * AR)).fma(b0, c14);
            c15 = FloatVector.broadcast(SPECIES, a.get(F, pa + 15 * AR)).fma(b0, c15);
        }
        c0.intoMemorySegment(t, tOff, ORDER);
        c1.intoMemorySegment(t, tOff + VB, ORDER);
        c2.intoMemorySegment(t, tOff + 2 * VB, ORDER);
        c3.intoMemorySegment(t, tOff + 3 * VB, ORDER);
        c4.intoMemorySegment(t, tOff + 4 * VB, ORDER);
        c5.intoMemorySegment(t, tOff + 5 * VB, ORDER);
        c6.intoMemorySegment(t, tOff + 6 * VB, ORDER);
        c7.intoMemorySegment(t, tOff + 7 * VB, ORDER);
        c8.intoMemorySegment(t, tOff + 8 * VB, ORDER);
        c9.intoMemorySegment(t, tOff + 9 * VB, ORDER);
        c10.intoMemorySegment(t, tOff + 10 * VB, ORDER);
        c11.intoMemorySegment(t, tOff + 11 * VB, ORDER);
        c12.intoMemorySegment(t, tOff + 12 * VB, ORDER);
        c13.intoMemorySegment(t, tOff + 13 * VB, ORDER);
        c14.intoMemorySegment(t, tOff + 14 * VB, ORDER);
        c15.intoMemorySegment(t, tOff + 15 * VB, ORDER);
    }

    /** {@link #finish} over native segments whose bounds, liveness and thread the caller has checked. */
    static void finishUnchecked(MemorySegment t, long tOff, MemorySegment c, long cOff, long cRowStride, boolean loadC,
                       MemorySegment bias, long biasOff, int nv) {
        tOff += t.address();
        cOff += c.address();
        t = ALL;
        c = ALL;
        if (bias != null) {
            biasOff += bias.address();
            bias = ALL;
        }
        VectorMask<Float> m = SPECIES.indexInRange(0, nv);
        for (int i = 0; i < MR; i++) {
            long o = cOff + i * cRowStride;
            FloatVector s = FloatVector.fromMemorySegment(SPECIES, t, tOff + i * VB, ORDER);
            if (nv == WIDTH) {
                if (bias != null) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER));
                }
                if (loadC) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, c, o, ORDER));
                }
                s.intoMemorySegment(c, o, ORDER);
            } else {
                if (bias != null) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER, m));
                }
                if (loadC) {
                    s = s.add(FloatVector.fromMemorySegment(SPECIES, c, o, ORDER, m));
                }
                s.intoMemorySegment(c, o, ORDER, m);
            }
        }
    }
}
