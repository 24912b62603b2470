package io.numarrow.kernels;

import io.numarrow.Settings;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply {@code C[m×n] = A[m×k]·B[k×n]} over row-major float32 segments, with
 * an optional bias row added to every row of C, optional accumulation ({@code C += A·B}), and a variant
 * for B stored transposed ({@code C = A·Bᵀ}, B being {@code n×k}, as weights stored one row per output).
 *
 * <p>How it is fast: B is packed once into panels of {@code nr} columns and K blocks sized for L1
 * ({@link GemmBlocking}); rows of A are taken in blocks sized for L2 and, when a block is reused against
 * enough panels, packed too; a register-blocked micro-kernel ({@link TileShape}) computes an
 * {@code mr×nr} tile of C per call with the whole tile in vector registers. Edge tiles (any m, n, k) use
 * masked loads and stores of C on zero-padded A and B. Scratch buffers are per thread and reused
 * ({@link GemmScratch}).
 *
 * <p>Two ways in: {@link #multiply} does everything on the calling thread; a parallel caller packs B
 * once with {@link #packB} (split by panels if it likes), then runs {@link #multiplyPacked} on disjoint
 * row ranges from as many threads as it wants, all sharing the packed B.
 *
 * <p>The species picks the vector width of the micro-kernel (512, 256 or 128 bits); production code
 * passes {@link FloatVector#SPECIES_PREFERRED}, tests force the others.
 */
public final class Matmul {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /**
     * Pack a block of A when it meets at least this many B panels (n ≥ 2048 with 512-bit vectors).
     * Reading A in place (six row streams, broadcast loads) measured as fast as packing up to n = 2048
     * and on the batch shape (docs/performance.md), so the copy is kept for very wide B, where rows of A a
     * power of two apart would crowd a few cache sets for many panels. Property {@code numarrow.gemm.packAPanels} overrides it.
     */
    private static final int PACK_A_MIN_PANELS = Settings.gemmPackAPanels();
    /**
     * How packed blocks of A are laid out (property {@code numarrow.gemm.aLayout}): {@code rows}, each
     * row's K block contiguous (a vector copy; the default), or {@code interleaved}, {@code [k][mr]}
     * (a scalar transpose; the tile then reads one A stream). Both give the same bits. Not final, so
     * tests can run both; read it only between calls.
     */
    static boolean interleavedA = Settings.gemmInterleavedA();
    /**
     * A B this small (bytes) whose width is whole panels is read in place by single-threaded calls:
     * it stays in L1/L2 anyway, and packing it would be a tenth of a 64³ multiply.
     */
    private static final long DIRECT_B_MAX_BYTES = Math.min(64 * 1024, CacheSizes.current().l2() / 4);
    /**
     * Run every tile with checked segment accesses even where the unchecked twins would do (property
     * {@code numarrow.kernels.checked}): for tests, which then catch an index out of bounds as an
     * exception rather than a stray read.
     */
    static boolean checkedAccess = Settings.kernelsChecked();

    private Matmul() {
    }

    /** {@code C = A·B} on the calling thread with the preferred vector width. */
    public static void multiply(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k) {
        multiply(FloatVector.SPECIES_PREFERRED, a, b, c, m, n, k, false, null, false);
    }

    /**
     * {@code C (=|+=) A·op(B) (+ bias)} on the calling thread.
     *
     * @param species    vector width of the micro-kernel: a float species of 128, 256 or 512 bits
     * @param a          row-major {@code m×k}
     * @param b          row-major {@code k×n}, or {@code n×k} when {@code transposeB}
     * @param c          row-major {@code m×n}; must not overlap a, b or bias
     * @param transposeB compute {@code A·Bᵀ} with B given as {@code n×k}
     * @param bias       {@code n} floats added to every row of C, or null
     * @param accumulate add to C's current contents instead of overwriting them
     */
    public static void multiply(VectorSpecies<Float> species, MemorySegment a, MemorySegment b, MemorySegment c,
                                int m, int n, int k, boolean transposeB, MemorySegment bias, boolean accumulate) {
        checkOperands(a, b, c, m, n, k, bias);
        TileShape shape = TileShape.of(species);
        GemmBlocking blocking = GemmBlocking.forShape(shape);
        if (m == 0 || n == 0) {
            return;
        }
        if (!transposeB && n % shape.nr == 0 && (long) k * n * Float.BYTES <= DIRECT_B_MAX_BYTES) {
            run(shape, blocking, b, false, a, c, n, k, 0, m, bias, accumulate);
            return;
        }
        MemorySegment packed = k == 0 ? MemorySegment.NULL
                : GemmScratch.current().packedB(Packing.packedBBytes(shape, k, n));
        if (k > 0) {
            Packing.packB(shape, blocking.kc(), b, k, n, transposeB, packed, 0, Packing.panels(n, shape));
        }
        run(shape, blocking, packed, true, a, c, n, k, 0, m, bias, accumulate);
    }

    /**
     * The micro-kernel and blocking this JVM's matmul uses and why, in a few lines for {@code numarrow
     * topology} and {@code bench}. The choice is a fixed rule from the vector width and the cache sizes,
     * made once per JVM (packed weights stay valid for the JVM's life).
     */
    public static List<String> kernelChoice() {
        TileShape shape = TileShape.preferred();
        GemmBlocking blocking = GemmBlocking.forShape(shape);
        CacheSizes caches = CacheSizes.current();
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return List.of(
                shape.mr + "×" + shape.nr + " register tile (" + bits + "-bit vectors, " + 2 * shape.mr
                        + " accumulators; more rows make C1 fail, see docs/performance.md), " + shape.shortMr
                        + "-row tile for short bottom edges",
                "kc=" + blocking.kc() + " (2 × L1d " + caches.l1Data() / 1024 + " KiB / " + shape.nr
                        + " columns of 4 bytes, kept within 64..512" + override(Settings.GEMM_KC) + "), mc="
                        + blocking.mc() + " (L2 " + caches.l2() / 1024 + " KiB / 2 / kc" + override(Settings.GEMM_MC) + ")",
                "A read in place below " + PACK_A_MIN_PANELS + " panels of B (n < " + PACK_A_MIN_PANELS * shape.nr
                        + "), packed above" + override(Settings.GEMM_PACK_A_PANELS) + ", "
                        + (interleavedA ? "interleaved [k][" + shape.mr + "]" : "row by row") + override(Settings.GEMM_A_LAYOUT)
                        + "; B read in place when single-threaded, whole panels and at most "
                        + DIRECT_B_MAX_BYTES / 1024 + " KiB, packed otherwise");
    }

    private static String override(Settings.Setting setting) {
        return setting.isSet() ? "; set by -D" + setting.name() + "=" + setting.inForce() : "";
    }

    /** Bytes {@link #packB} needs for a {@code k×n} B (or {@code n×k} transposed). */
    public static long packedBBytes(VectorSpecies<Float> species, int k, int n) {
        return Packing.packedBBytes(TileShape.of(species), k, n);
    }

    /** Number of column panels of packed B: the unit by which {@link #packB} can be split. */
    public static int panelCount(VectorSpecies<Float> species, int n) {
        return Packing.panels(n, TileShape.of(species));
    }

    /** Rows of C per micro-kernel tile: row ranges given to {@link #multiplyPacked} should start at multiples. */
    public static int rowGroup(VectorSpecies<Float> species) {
        return TileShape.of(species).mr;
    }

    /** Rows of A per cache block: a caller that post-processes C rows while hot works in ranges this tall. */
    public static int rowBlock(VectorSpecies<Float> species) {
        return GemmBlocking.forShape(TileShape.of(species)).mc();
    }

    /**
     * Packs panels {@code [panelStart, panelEnd)} of B into {@code packed} (at least
     * {@link #packedBBytes} long). Disjoint panel ranges may be packed by different threads.
     */
    public static void packB(VectorSpecies<Float> species, MemorySegment b, int k, int n, boolean transposeB,
                             MemorySegment packed, int panelStart, int panelEnd) {
        TileShape shape = TileShape.of(species);
        checkSize(b, (long) k * n, "B", transposeB ? n : k, transposeB ? k : n);
        checkSize(packed, Packing.packedBBytes(shape, k, n) / Float.BYTES, "packed B", k, Packing.panels(n, shape) * shape.nr);
        Objects.checkFromToIndex(panelStart, panelEnd, Packing.panels(n, shape));
        Packing.packB(shape, GemmBlocking.forShape(shape).kc(), b, k, n, transposeB, packed, panelStart, panelEnd);
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of {@code C (=|+=) A·B (+ bias)} from B packed by {@link #packB}
     * with the same species, k and n. Threads may run disjoint row ranges at once.
     */
    public static void multiplyPacked(VectorSpecies<Float> species, MemorySegment packedB, MemorySegment a,
                                      MemorySegment c, int m, int n, int k, int rowStart, int rowEnd,
                                      MemorySegment bias, boolean accumulate) {
        TileShape shape = TileShape.of(species);
        checkSize(a, (long) m * k, "A", m, k);
        checkSize(c, (long) m * n, "C", m, n);
        if (bias != null) {
            checkSize(bias, n, "bias", 1, n);
        }
        checkSize(packedB, Packing.packedBBytes(shape, k, n) / Float.BYTES, "packed B", k, Packing.panels(n, shape) * shape.nr);
        Objects.checkFromToIndex(rowStart, rowEnd, m);
        if (rowStart == rowEnd || n == 0) {
            return;
        }
        run(shape, GemmBlocking.forShape(shape), packedB, true, a, c, n, k, rowStart, rowEnd, bias, accumulate);
    }

    /**
     * The blocked loops over rows {@code [rowStart, rowEnd)}. {@code b} is packed B, or when
     * {@code bPacked} is false B itself, row-major {@code k×n} with n a whole number of panels.
     */
    private static void run(TileShape shape, GemmBlocking blocking, MemorySegment b, boolean bPacked,
                            MemorySegment a, MemorySegment c, int n, int k, int rowStart, int rowEnd,
                            MemorySegment bias, boolean accumulate) {
        if (k == 0) {
            noProducts(c, n, rowStart, rowEnd, bias, accumulate);
            return;
        }
        int mr = shape.mr;
        int nr = shape.nr;
        int kc = blocking.kc();
        int mcMax = blocking.mc();
        int panels = Packing.panels(n, shape);
        boolean packA = panels >= PACK_A_MIN_PANELS;
        boolean interleaved = interleavedA;
        GemmScratch scratch = GemmScratch.current();
        MemorySegment aBlock = scratch.packedA((long) (mcMax + mr) * kc * Float.BYTES);
        boolean unchecked = mayRunUnchecked(a, b, c, bias, aBlock);
        long ldc = (long) n * Float.BYTES;
        long bStep = bPacked ? (long) nr * Float.BYTES : ldc;
        for (int ic = rowStart; ic < rowEnd; ic += mcMax) {
            int mc = Math.min(mcMax, rowEnd - ic);
            int groups = (mc + mr - 1) / mr;
            int fullGroups = mc / mr;
            // A last group of exactly the short tile's rows is read in place by that tile, wherever its
            // columns are full; only a column edge, on the full-height masked tile, needs it padded
            boolean shortInPlace = !packA && mc - fullGroups * mr == shape.shortMr;
            boolean padLast = groups > fullGroups && (!shortInPlace || n % nr != 0);
            for (int pc = 0; pc < k; pc += kc) {
                int kcb = Math.min(kc, k - pc);
                boolean loadC = accumulate || pc > 0;
                MemorySegment biasNow = pc == 0 ? bias : null;
                long groupBytes = (long) kcb * mr * Float.BYTES;
                for (int g = packA ? 0 : fullGroups; g < (padLast ? groups : fullGroups); g++) {
                    if (interleaved) {
                        Packing.packAInterleaved(a, k, ic + g * mr, Math.min(mr, mc - g * mr), pc, kcb, mr, aBlock, g * groupBytes);
                    } else {
                        Packing.packARows(a, k, ic + g * mr, Math.min(mr, mc - g * mr), pc, kcb, mr, aBlock, g * groupBytes);
                    }
                }
                for (int jp = 0; jp < panels; jp++) {
                    int j0 = jp * nr;
                    int nv = Math.min(nr, n - j0);
                    long bOff = bPacked ? Packing.panelOffset(shape, n, pc, kcb, jp) : ((long) pc * n + j0) * Float.BYTES;
                    for (int g = 0; g < groups; g++) {
                        int i0 = ic + g * mr;
                        int mv = Math.min(mr, mc - g * mr);
                        MemorySegment aSeg;
                        long aOff;
                        long aRowStride;
                        long aStep = Float.BYTES;
                        if (packA || (g >= fullGroups && !(shortInPlace && nv == nr))) {
                            aSeg = aBlock;
                            aOff = g * groupBytes;
                            aRowStride = interleaved ? Float.BYTES : (long) kcb * Float.BYTES;
                            aStep = interleaved ? (long) mr * Float.BYTES : Float.BYTES;
                        } else {
                            aSeg = a;
                            aOff = ((long) i0 * k + pc) * Float.BYTES;
                            aRowStride = (long) k * Float.BYTES;
                        }
                        if (mv == mr && nv == nr) {
                            shape.tile(aSeg, aOff, aRowStride, aStep, b, bOff, bStep, kcb,
                                    c, ((long) i0 * n + j0) * Float.BYTES, ldc, loadC, biasNow, (long) j0 * Float.BYTES,
                                    unchecked);
                        } else {
                            shape.tileMasked(aSeg, aOff, aRowStride, aStep, b, bOff, bStep, kcb,
                                    c, ((long) i0 * n + j0) * Float.BYTES, ldc, loadC, biasNow, (long) j0 * Float.BYTES, mv, nv,
                                    unchecked);
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether the tiles may use their unchecked twins: every operand native and C writable, their sizes
     * checked by the caller against the shapes (which bound every tile's accesses), and one checked read of
     * each here, which throws as any access would if its arena is closed or confined to another thread.
     * Closing a shared arena while a multiply runs on its memory is then as undefined as freeing memory
     * under a native BLAS call.
     */
    private static boolean mayRunUnchecked(MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment bias,
                                           MemorySegment aBlock) {
        if (checkedAccess || !a.isNative() || !b.isNative() || !c.isNative() || c.isReadOnly() || !aBlock.isNative()
                || (bias != null && !bias.isNative())) {
            return false;
        }
        a.get(ValueLayout.JAVA_BYTE, 0);
        b.get(ValueLayout.JAVA_BYTE, 0);
        c.get(ValueLayout.JAVA_BYTE, 0);
        aBlock.get(ValueLayout.JAVA_BYTE, 0);
        if (bias != null) {
            bias.get(ValueLayout.JAVA_BYTE, 0);
        }
        return true;
    }

    /**
     * k = 0: every product is an empty sum, so C is the bias (or zero), or unchanged plus the bias; in the
     * tiles' order (docs/reproducibility.md): {@code (0 + bias) + c}, which differs from {@code c + bias}
     * only in the sign of a zero, but bits are bits.
     */
    private static void noProducts(MemorySegment c, int n, int rowStart, int rowEnd, MemorySegment bias,
                                   boolean accumulate) {
        for (int i = rowStart; i < rowEnd; i++) {
            for (int j = 0; j < n; j++) {
                long off = ((long) i * n + j) * Float.BYTES;
                float s = 0f;
                if (bias != null) {
                    s += bias.get(F, (long) j * Float.BYTES);
                }
                if (accumulate) {
                    s += c.get(F, off);
                }
                c.set(F, off, s);
            }
        }
    }

    private static void checkOperands(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                                      MemorySegment bias) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative matmul shape m=" + m + ", n=" + n + ", k=" + k);
        }
        checkSize(a, (long) m * k, "A", m, k);
        checkSize(b, (long) k * n, "B", k, n);
        checkSize(c, (long) m * n, "C", m, n);
        if (bias != null) {
            checkSize(bias, n, "bias", 1, n);
        }
    }

    private static void checkSize(MemorySegment s, long floats, String what, int rows, int cols) {
        Objects.requireNonNull(s, what);
        if (s.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + " holds " + s.byteSize() / Float.BYTES + " floats, too few for "
                    + rows + "×" + cols + " (" + floats + ")");
        }
    }
}
