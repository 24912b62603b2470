package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 6×2·4 register-blocked sgemm tile for 128-bit vectors: 6 rows of C, two vectors
 * wide, held in local accumulators across a K block (see {@link TileShape#tile}).
 *
 * <p>The species is a compile-time constant here, and the accumulators are separate locals, because
 * the Vector API only compiles to registers when both hold: a species passed as a parameter, or
 * vectors kept in an array, fall back to boxed vectors that run about 20 times slower. That is also
 * why each vector width has its own copy of this class rather than one generic method.
 *
 * <p>Six rows (twelve accumulators) even where 32 registers would hold more: with eight or more rows
 * the JIT's first tier gives up on the method ("out of virtual registers") and, when the optimising
 * compiler is busy, the kernel was seen stuck in slow code at about 1 GFLOPS. Six rows compile at
 * every tier and measured within noise of 12 and 14 rows.
 */
final class MicroKernel128 {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_128;
    /** Rows of C per tile. */
    static final int MR = 6;
    /** Columns of C per tile: two vectors. */
    static final int NR = 2 * 4;
    private static final long VB = SPECIES.vectorByteSize();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private MicroKernel128() {
    }

    /** See {@link TileShape#tile}. */
    static void tile(MemorySegment a, long aOff, long aRowStride, long aStep,
                     MemorySegment b, long bOff, long bStep, int kc,
                     MemorySegment c, long cOff, long cRowStride, boolean loadC,
                     MemorySegment bias, long biasOff) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (loadC) {
            c00 = FloatVector.fromMemorySegment(SPECIES, c, cOff, ORDER);
            c01 = FloatVector.fromMemorySegment(SPECIES, c, cOff + VB, ORDER);
            c10 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 1 * cRowStride, ORDER);
            c11 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 1 * cRowStride + VB, ORDER);
            c20 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 2 * cRowStride, ORDER);
            c21 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 2 * cRowStride + VB, ORDER);
            c30 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 3 * cRowStride, ORDER);
            c31 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 3 * cRowStride + VB, ORDER);
            c40 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 4 * cRowStride, ORDER);
            c41 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 4 * cRowStride + VB, ORDER);
            c50 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 5 * cRowStride, ORDER);
            c51 = FloatVector.fromMemorySegment(SPECIES, c, cOff + 5 * cRowStride + VB, ORDER);
        } else {
            FloatVector z = FloatVector.zero(SPECIES);
            c00 = z;
            c01 = z;
            c10 = z;
            c11 = z;
            c20 = z;
            c21 = z;
            c30 = z;
            c31 = z;
            c40 = z;
            c41 = z;
            c50 = z;
            c51 = z;
        }
        if (bias != null) {
            FloatVector z0 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER);
            FloatVector z1 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff + VB, ORDER);
            c00 = c00.add(z0);
            c01 = c01.add(z1);
            c10 = c10.add(z0);
            c11 = c11.add(z1);
            c20 = c20.add(z0);
            c21 = c21.add(z1);
            c30 = c30.add(z0);
            c31 = c31.add(z1);
            c40 = c40.add(z0);
            c41 = c41.add(z1);
            c50 = c50.add(z0);
            c51 = c51.add(z1);
        }
        long a0 = aOff;
        long a1 = aOff + 1 * aRowStride;
        long a2 = aOff + 2 * aRowStride;
        long a3 = aOff + 3 * aRowStride;
        long a4 = aOff + 4 * aRowStride;
        long a5 = aOff + 5 * aRowStride;
        long q = 0;
        long pb = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, b, pb, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, ORDER);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a.get(F, a0 + q));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a.get(F, a1 + q));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a.get(F, a2 + q));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a.get(F, a3 + q));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(SPECIES, a.get(F, a4 + q));
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(SPECIES, a.get(F, a5 + q));
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            q += aStep;
            pb += bStep;
        }
        c00.intoMemorySegment(c, cOff, ORDER);
        c01.intoMemorySegment(c, cOff + VB, ORDER);
        c10.intoMemorySegment(c, cOff + 1 * cRowStride, ORDER);
        c11.intoMemorySegment(c, cOff + 1 * cRowStride + VB, ORDER);
        c20.intoMemorySegment(c, cOff + 2 * cRowStride, ORDER);
        c21.intoMemorySegment(c, cOff + 2 * cRowStride + VB, ORDER);
        c30.intoMemorySegment(c, cOff + 3 * cRowStride, ORDER);
        c31.intoMemorySegment(c, cOff + 3 * cRowStride + VB, ORDER);
        c40.intoMemorySegment(c, cOff + 4 * cRowStride, ORDER);
        c41.intoMemorySegment(c, cOff + 4 * cRowStride + VB, ORDER);
        c50.intoMemorySegment(c, cOff + 5 * cRowStride, ORDER);
        c51.intoMemorySegment(c, cOff + 5 * cRowStride + VB, ORDER);
    }

    /**
     * An edge tile: like {@link #tile} with C's loads and stores limited to the first {@code mv} rows and
     * {@code nv} columns (masked vector accesses, so nothing outside C is touched). A must be zero-padded
     * to full rows and B to full columns (packing does both), so the arithmetic is the full tile's.
     */
    static void tileMasked(MemorySegment a, long aOff, long aRowStride, long aStep,
                           MemorySegment b, long bOff, long bStep, int kc,
                           MemorySegment c, long cOff, long cRowStride, boolean loadC,
                           MemorySegment bias, long biasOff, int mv, int nv) {
        VectorMask<Float> m0 = SPECIES.indexInRange(0, nv);
        VectorMask<Float> m1 = SPECIES.indexInRange(SPECIES.length(), nv);
        FloatVector z = FloatVector.zero(SPECIES);
        FloatVector c00 = loadC && 0 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff, ORDER, m0) : z;
        FloatVector c01 = loadC && 0 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + VB, ORDER, m1) : z;
        FloatVector c10 = loadC && 1 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 1 * cRowStride, ORDER, m0) : z;
        FloatVector c11 = loadC && 1 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 1 * cRowStride + VB, ORDER, m1) : z;
        FloatVector c20 = loadC && 2 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 2 * cRowStride, ORDER, m0) : z;
        FloatVector c21 = loadC && 2 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 2 * cRowStride + VB, ORDER, m1) : z;
        FloatVector c30 = loadC && 3 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 3 * cRowStride, ORDER, m0) : z;
        FloatVector c31 = loadC && 3 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 3 * cRowStride + VB, ORDER, m1) : z;
        FloatVector c40 = loadC && 4 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 4 * cRowStride, ORDER, m0) : z;
        FloatVector c41 = loadC && 4 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 4 * cRowStride + VB, ORDER, m1) : z;
        FloatVector c50 = loadC && 5 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 5 * cRowStride, ORDER, m0) : z;
        FloatVector c51 = loadC && 5 < mv ? FloatVector.fromMemorySegment(SPECIES, c, cOff + 5 * cRowStride + VB, ORDER, m1) : z;
        if (bias != null) {
            FloatVector z0 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff, ORDER, m0);
            FloatVector z1 = FloatVector.fromMemorySegment(SPECIES, bias, biasOff + VB, ORDER, m1);
            c00 = c00.add(z0);
            c01 = c01.add(z1);
            c10 = c10.add(z0);
            c11 = c11.add(z1);
            c20 = c20.add(z0);
            c21 = c21.add(z1);
            c30 = c30.add(z0);
            c31 = c31.add(z1);
            c40 = c40.add(z0);
            c41 = c41.add(z1);
            c50 = c50.add(z0);
            c51 = c51.add(z1);
        }
        long a0 = aOff;
        long a1 = aOff + 1 * aRowStride;
        long a2 = aOff + 2 * aRowStride;
        long a3 = aOff + 3 * aRowStride;
        long a4 = aOff + 4 * aRowStride;
        long a5 = aOff + 5 * aRowStride;
        long q = 0;
        long pb = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, b, pb, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, b, pb + VB, ORDER);
            FloatVector x0 = FloatVector.broadcast(SPECIES, a.get(F, a0 + q));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(SPECIES, a.get(F, a1 + q));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(SPECIES, a.get(F, a2 + q));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(SPECIES, a.get(F, a3 + q));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = FloatVector.broadcast(SPECIES, a.get(F, a4 + q));
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = FloatVector.broadcast(SPECIES, a.get(F, a5 + q));
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            q += aStep;
            pb += bStep;
        }
        if (0 < mv) {
            c00.intoMemorySegment(c, cOff, ORDER, m0);
            c01.intoMemorySegment(c, cOff + VB, ORDER, m1);
        }
        if (1 < mv) {
            c10.intoMemorySegment(c, cOff + 1 * cRowStride, ORDER, m0);
            c11.intoMemorySegment(c, cOff + 1 * cRowStride + VB, ORDER, m1);
        }
        if (2 < mv) {
            c20.intoMemorySegment(c, cOff + 2 * cRowStride, ORDER, m0);
            c21.intoMemorySegment(c, cOff + 2 * cRowStride + VB, ORDER, m1);
        }
        if (3 < mv) {
            c30.intoMemorySegment(c, cOff + 3 * cRowStride, ORDER, m0);
            c31.intoMemorySegment(c, cOff + 3 * cRowStride + VB, ORDER, m1);
        }
        if (4 < mv) {
            c40.intoMemorySegment(c, cOff + 4 * cRowStride, ORDER, m0);
            c41.intoMemorySegment(c, cOff + 4 * cRowStride + VB, ORDER, m1);
        }
        if (5 < mv) {
            c50.intoMemorySegment(c, cOff + 5 * cRowStride, ORDER, m0);
            c51.intoMemorySegment(c, cOff + 5 * cRowStride + VB, ORDER, m1);
        }
    }
}
