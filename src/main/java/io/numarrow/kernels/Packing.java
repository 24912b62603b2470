package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies operands into the layouts the micro-kernel streams through: B into panels of {@code nr}
 * columns (one K block after another), A into groups of {@code mr} rows, each row's slice of the K block
 * contiguous and the rows a constant {@link #A_ROW_BYTES} apart (a plain vector copy, and one compact
 * block in L2). Edges are padded with zeros, so the micro-kernel never needs a partial tile of B or A.
 */
final class Packing {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /**
     * One vector width for every kernel: C2 compiles Vector API code well only while the type profiles in
     * the shared Vector API methods see few vector classes (docs/performance.md), so the remainders that
     * once took 128-bit vectors here are scalar.
     */
    private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_PREFERRED;
    /**
     * Bytes from one row of a packed group of A to the next: the longest K block plus one cache line, a
     * constant, so that the tiles address every row from one base register and the rows of a group fall
     * into different L1 sets.
     */
    static final long A_ROW_BYTES = (GemmBlocking.KC_MAX + 16) * Float.BYTES;

    private Packing() {
    }

    /** Number of {@code nr}-column panels covering {@code n} columns. */
    static int panels(int n, TileShape shape) {
        return (n + shape.nr - 1) / shape.nr;
    }

    /** Bytes of packed B for a {@code k×n} operand. */
    static long packedBBytes(TileShape shape, int k, int n) {
        return (long) k * panels(n, shape) * shape.nr * Float.BYTES;
    }

    /**
     * Byte offset of the panel {@code panel} of the K block starting at row {@code pc} (of height
     * {@code kcb}) in packed B: the K blocks follow one another, each holding all its panels.
     */
    static long panelOffset(TileShape shape, int n, int pc, int kcb, int panel) {
        long paddedN = (long) panels(n, shape) * shape.nr;
        return ((long) pc * paddedN + (long) panel * kcb * shape.nr) * Float.BYTES;
    }

    /**
     * Packs panels {@code [panelStart, panelEnd)} of every K block of B into {@code dst}.
     *
     * @param b          row-major {@code k×n}, or {@code n×k} when {@code transposed} (B's rows are C's columns)
     */
    static void packB(TileShape shape, int kc, MemorySegment b, int k, int n, boolean transposed,
                      MemorySegment dst, int panelStart, int panelEnd) {
        int nr = shape.nr;
        for (int pc = 0; pc < k; pc += kc) {
            int kcb = Math.min(kc, k - pc);
            for (int jp = panelStart; jp < panelEnd; jp++) {
                int j0 = jp * nr;
                int nv = Math.min(nr, n - j0);
                long d = panelOffset(shape, n, pc, kcb, jp);
                if (transposed) {
                    packTransposedPanel(b, k, pc, kcb, j0, nv, nr, dst, d);
                } else {
                    for (int p = 0; p < kcb; p++) {
                        long src = ((long) (pc + p) * n + j0) * Float.BYTES;
                        long to = d + (long) p * nr * Float.BYTES;
                        copyFloats(b, src, dst, to, nv);
                        zeroFloats(dst, to + (long) nv * Float.BYTES, nr - nv);
                    }
                }
            }
        }
    }

    /** Panel of {@code Bᵀ}: reads rows {@code j0..j0+nv} of the {@code n×k} B along K, writes them as columns. */
    private static void packTransposedPanel(MemorySegment bt, int k, int pc, int kcb, int j0, int nv, int nr,
                                            MemorySegment dst, long d) {
        if (nv < nr) {
            zeroFloats(dst, d, kcb * nr);
        }
        for (int j = 0; j < nv; j++) {
            long src = ((long) (j0 + j) * k + pc) * Float.BYTES;
            long to = d + (long) j * Float.BYTES;
            for (int p = 0; p < kcb; p++) {
                dst.set(F, to + (long) p * nr * Float.BYTES, bt.get(F, src + (long) p * Float.BYTES));
            }
        }
    }

    /** Bytes of one packed group of {@code mr} rows of A. */
    static long aGroupBytes(int mr) {
        return mr * A_ROW_BYTES;
    }

    /**
     * Packs rows {@code [i0, i0+mv)} and columns {@code [pc, pc+kcb)} of the row-major {@code A[·×k]}
     * into a group of {@code mr} rows {@link #A_ROW_BYTES} apart at {@code dst + d}; rows {@code mv..mr}
     * are zeros. Row by row, so it is a vector copy.
     */
    static void packARows(MemorySegment a, int k, int i0, int mv, int pc, int kcb, int mr,
                          MemorySegment dst, long d) {
        for (int i = 0; i < mv; i++) {
            copyFloats(a, ((long) (i0 + i) * k + pc) * Float.BYTES, dst, d + i * A_ROW_BYTES, kcb);
        }
        for (int i = mv; i < mr; i++) {
            zeroFloats(dst, d + i * A_ROW_BYTES, kcb);
        }
    }

    /** Zeros {@code count} floats with vector stores; a slice to fill would be an allocation per edge. */
    private static void zeroFloats(MemorySegment dst, long off, int count) {
        int i = 0;
        FloatVector wide = FloatVector.zero(WIDE);
        for (; i + WIDE.length() <= count; i += WIDE.length()) {
            wide.intoMemorySegment(dst, off, ORDER);
            off += WIDE.vectorByteSize();
        }
        for (; i < count; i++) {
            dst.set(F, off, 0f);
            off += Float.BYTES;
        }
    }

    /** Copies {@code count} floats; short runs like a panel row are too small for a bulk copy to pay. */
    static void copyFloats(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int count) {
        int i = 0;
        long wideBytes = WIDE.vectorByteSize();
        for (; i + WIDE.length() <= count; i += WIDE.length()) {
            FloatVector.fromMemorySegment(WIDE, src, srcOff, ORDER).intoMemorySegment(dst, dstOff, ORDER);
            srcOff += wideBytes;
            dstOff += wideBytes;
        }
        for (; i < count; i++) {
            dst.set(F, dstOff, src.get(F, srcOff));
            srcOff += Float.BYTES;
            dstOff += Float.BYTES;
        }
    }
}
