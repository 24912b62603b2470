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
     * A B this small (bytes) whose width is whole panels is read in place by single-threaded calls, and A
     * with it: B stays in L1, and packing both costs more than a 64³ multiply gains from it (docs/performance.md).
     */
    private static final long DIRECT_B_MAX_BYTES = Math.min(32 * 1024, CacheSizes.current().l1Data() * 3 / 4);
    /**
     * Run every tile with checked segment accesses even where the unchecked twins would do (property
     * {@code numarrow.kernels.checked}): for tests, which then catch an index out of bounds as an
     * exception rather than a stray read.
     */
    static boolean checkedAccess = Settings.kernelsChecked();
    /**
     * Whether a panel with one vector's real columns runs on {@link MicroKernel512Narrow} (512-bit 32-wide
     * tiles); false only to compare.
     */
    static boolean narrowTiles = true;

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
        TileShape shape = TileChoice.of(species);
        GemmBlocking blocking = GemmBlocking.forShape(shape);
        if (m == 0 || n == 0) {
            return;
        }
        if (k > 0 && !transposeB && n % shape.nr == 0 && (long) k * n * Float.BYTES <= DIRECT_B_MAX_BYTES) {
            runDirect(TileChoice.direct(species), blocking.kc(), a, b, c, m, n, k, bias, accumulate);
            return;
        }
        MemorySegment packed = k == 0 ? MemorySegment.NULL
                : GemmScratch.current().packedB(Packing.packedBBytes(shape, k, n));
        if (k > 0) {
            Packing.packB(shape, blocking.kc(), b, k, n, transposeB, packed, 0, Packing.panels(n, shape));
        }
        run(shape, blocking, packed, a, c, n, k, 0, m, bias, accumulate);
    }

    /**
     * The micro-kernel and blocking this JVM's matmul uses and why, in a few lines for {@code numarrow
     * topology} and {@code bench}. The choice is a fixed rule from the vector width and the cache sizes,
     * made once per JVM (packed weights stay valid for the JVM's life).
     */
    public static List<String> kernelChoice() {
        TileShape shape = TileChoice.preferred();
        GemmBlocking blocking = GemmBlocking.forShape(shape);
        CacheSizes caches = CacheSizes.current();
        return List.of(
                shape.mr + "×" + shape.nr + " register tile (" + shape.bits + "-bit vectors, " + shape.mr * shape.nr / (shape.bits / 32)
                        + " accumulators" + override(Settings.GEMM_TILE) + tuned() + "), " + shape.shortMr
                        + "-row tiles for short bottom edges",
                "kc=" + blocking.kc() + " (2 × L1d " + caches.l1Data() / 1024 + " KiB / " + shape.nr
                        + " columns of 4 bytes, kept within 64.." + GemmBlocking.KC_MAX + override(Settings.GEMM_KC) + "), mc="
                        + blocking.mc() + (!Settings.GEMM_MC.isSet() && TileChoice.tunedInForce().isPresent() ? " (tuned)"
                        : " (L2 " + caches.l2() / 1024 + " KiB / 2 / kc" + override(Settings.GEMM_MC) + ")"),
                TileChoice.tallTilesNote(),
                "A and B packed, each tile reading one packed group of A and one panel of B; single-threaded calls "
                        + "with B of whole panels and at most " + DIRECT_B_MAX_BYTES / 1024 + " KiB read both in place on the "
                        + TileChoice.direct(FloatVector.SPECIES_PREFERRED).mr + "-row tile");
    }

    /**
     * Tells the matmul that this JVM keeps its first-tier compiler off the register tiles from now on (a
     * compiler directive, added by the kernels' warm-up before any tile runs): the tiles taller than the
     * first tier compiles are then offered, and the tile is chosen again among them (the one {@code
     * numarrow tune} measured, if it is such a tile). Same bits whichever tile runs.
     */
    public static void tilesSkipFirstTier() {
        TileChoice.FirstTier.keepOff();
    }

    /** Whether the tiles taller than the JIT's first tier compiles are offered in this JVM, and why, in a clause. */
    public static String tallTilesNote() {
        return TileChoice.tallTilesNote();
    }

    /** Why the tile is what it is when {@code numarrow tune} chose it. */
    private static String tuned() {
        return TileChoice.tunedInForce().map(c -> "; tuned on " + c.measuredOn() + ", " + TuningCache.file()).orElse(
                Settings.GEMM_TILE.isSet() && !Settings.gemmTile().isBlank() ? "" : "; default (numarrow tune measures the others)");
    }

    private static String override(Settings.Setting setting) {
        return setting.isSet() ? "; set by -D" + setting.name() + "=" + setting.inForce() : "";
    }

    /** Bytes {@link #packB} needs for a {@code k×n} B (or {@code n×k} transposed). */
    public static long packedBBytes(VectorSpecies<Float> species, int k, int n) {
        return Packing.packedBBytes(TileChoice.of(species), k, n);
    }

    /** Number of column panels of packed B: the unit by which {@link #packB} can be split. */
    public static int panelCount(VectorSpecies<Float> species, int n) {
        return Packing.panels(n, TileChoice.of(species));
    }

    /** Rows of C per micro-kernel tile: row ranges given to {@link #multiplyPacked} should start at multiples. */
    public static int rowGroup(VectorSpecies<Float> species) {
        return TileChoice.of(species).mr;
    }

    /** Rows of A per cache block: a caller that post-processes C rows while hot works in ranges this tall. */
    public static int rowBlock(VectorSpecies<Float> species) {
        return GemmBlocking.forShape(TileChoice.of(species)).mc();
    }

    /**
     * Packs panels {@code [panelStart, panelEnd)} of B into {@code packed} (at least
     * {@link #packedBBytes} long). Disjoint panel ranges may be packed by different threads.
     */
    public static void packB(VectorSpecies<Float> species, MemorySegment b, int k, int n, boolean transposeB,
                             MemorySegment packed, int panelStart, int panelEnd) {
        TileShape shape = TileChoice.of(species);
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
        TileShape shape = TileChoice.of(species);
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
        run(shape, GemmBlocking.forShape(shape), packedB, a, c, n, k, rowStart, rowEnd, bias, accumulate);
    }

    /**
     * A small product read where it lies: no packing, every row of C against every panel of B in place
     * ({@code n} a whole number of panels), K in blocks of {@code kc} as always.
     */
    private static void runDirect(TileShape shape, int kc, MemorySegment a, MemorySegment b, MemorySegment c,
                                  int m, int n, int k, MemorySegment bias, boolean accumulate) {
        MemorySegment t = GemmScratch.current().tileSums(shape.scratchBytes());
        boolean unchecked = mayRunUnchecked(a, b, c, bias, t, t);
        int mr = shape.mr;
        int nr = shape.nr;
        long lda = (long) k * Float.BYTES;
        long ldc = (long) n * Float.BYTES;
        for (int pc = 0; pc < k; pc += kc) {
            int kcb = Math.min(kc, k - pc);
            boolean loadC = accumulate || pc > 0;
            MemorySegment biasNow = pc == 0 ? bias : null;
            for (int j0 = 0; j0 < n; j0 += nr) {
                long bOff = ((long) pc * n + j0) * Float.BYTES;
                long cCol = (long) j0 * Float.BYTES;
                for (int i0 = 0; i0 < m; ) {
                    int rows = m - i0 >= mr ? mr : Math.min(shape.shortMr, m - i0);
                    shape.tileDirect(a, i0 * lda + (long) pc * Float.BYTES, lda, b, bOff, ldc, kcb,
                            c, i0 * ldc + cCol, ldc, loadC, biasNow, cCol, t, rows, unchecked);
                    i0 += rows;
                }
            }
        }
    }

    /** The blocked loops over rows {@code [rowStart, rowEnd)}, B packed. */
    static void run(TileShape shape, GemmBlocking blocking, MemorySegment b, MemorySegment a, MemorySegment c,
                            int n, int k, int rowStart, int rowEnd, MemorySegment bias, boolean accumulate) {
        if (k == 0) {
            noProducts(c, n, rowStart, rowEnd, bias, accumulate);
            return;
        }
        int mr = shape.mr;
        int nr = shape.nr;
        int kc = blocking.kc();
        int mcMax = blocking.mc();
        int panels = Packing.panels(n, shape);
        long groupBytes = Packing.aGroupBytes(mr);
        GemmScratch scratch = GemmScratch.current();
        // one spare group: a narrow panel's last masked tile may start mid-group (narrowPanel)
        MemorySegment aBlock = scratch.packedA(((long) (mcMax + mr - 1) / mr + 1) * groupBytes);
        MemorySegment t = scratch.tileSums(shape.scratchBytes());
        boolean unchecked = mayRunUnchecked(a, b, c, bias, aBlock, t);
        long ldc = (long) n * Float.BYTES;
        for (int ic = rowStart; ic < rowEnd; ic += mcMax) {
            int mc = Math.min(mcMax, rowEnd - ic);
            int fullGroups = mc / mr;
            int edgeRows = mc - fullGroups * mr;
            for (int pc = 0; pc < k; pc += kc) {
                int kcb = Math.min(kc, k - pc);
                boolean loadC = accumulate || pc > 0;
                MemorySegment biasNow = pc == 0 ? bias : null;
                for (int g = 0; g * mr < mc; g++) {
                    Packing.packARows(a, k, ic + g * mr, Math.min(mr, mc - g * mr), pc, kcb, mr, aBlock, g * groupBytes);
                }
                for (int jp = 0; jp < panels; jp++) {
                    int j0 = jp * nr;
                    int nv = Math.min(nr, n - j0);
                    long bOff = Packing.panelOffset(shape, n, pc, kcb, jp);
                    long cCol = (long) j0 * Float.BYTES;
                    if (narrowTiles && shape.bits == 512 && nr == MicroKernel512Narrow.PANEL && nv <= MicroKernel512Narrow.WIDTH) {
                        narrowPanel(shape, aBlock, mc, b, bOff, kcb, c, ic * ldc + cCol, ldc, loadC, biasNow, cCol, t, nv, unchecked);
                        continue;
                    }
                    int g = 0;
                    for (; g < fullGroups; g++) {
                        long cOff = (ic + (long) g * mr) * ldc + cCol;
                        if (nv == nr) {
                            shape.tile(aBlock, g * groupBytes, b, bOff, kcb, c, cOff, ldc, loadC, biasNow, cCol, t, unchecked);
                        } else {
                            shape.tileMasked(aBlock, g * groupBytes, b, bOff, kcb, c, cOff, ldc, loadC, biasNow, cCol, t,
                                    mr, nv, unchecked);
                        }
                    }
                    if (edgeRows == 0) {
                        continue;
                    }
                    long edgeOff = (ic + (long) fullGroups * mr) * ldc + cCol;
                    if (nv < nr || edgeRows > 2 * shape.shortMr) {
                        shape.tileMasked(aBlock, fullGroups * groupBytes, b, bOff, kcb, c, edgeOff, ldc, loadC, biasNow,
                                cCol, t, edgeRows, nv, unchecked);
                        continue;
                    }
                    // A short bottom edge under full columns: tiles of shortMr rows, without masks
                    for (int r = 0; r < edgeRows; r += shape.shortMr) {
                        shape.tileShort(aBlock, fullGroups * groupBytes + r * Packing.A_ROW_BYTES, b, bOff, kcb,
                                c, edgeOff + r * ldc, ldc, loadC, biasNow, cCol, t, Math.min(shape.shortMr, edgeRows - r),
                                unchecked);
                    }
                }
            }
        }
    }

    /**
     * A panel of one vector's real columns over the block's {@code mc} rows: 16 rows at a time on the narrow
     * twin, which skips the panel's padding, the rest on masked tiles of the block's shape from wherever the
     * narrow tiles stopped (the rows of packed A lie {@link Packing#A_ROW_BYTES} apart across groups, and the
     * block has a spare group for the rows a last masked tile reads past {@code mc}). Every row's chain of
     * fmas is the shape's, so the bits are the same.
     */
    private static void narrowPanel(TileShape shape, MemorySegment aBlock, int mc, MemorySegment b, long bOff, int kcb,
                                    MemorySegment c, long cOff, long ldc, boolean loadC, MemorySegment bias, long biasOff,
                                    MemorySegment t, int nv, boolean unchecked) {
        int r = 0;
        for (; r + MicroKernel512Narrow.MR <= mc; r += MicroKernel512Narrow.MR) {
            MicroKernel512Narrow.tile(aBlock, r * Packing.A_ROW_BYTES, b, bOff, kcb, c, cOff + r * ldc, ldc, loadC, bias, biasOff,
                    t, nv, unchecked);
        }
        for (; r < mc; r += shape.mr) {
            shape.tileMasked(aBlock, r * Packing.A_ROW_BYTES, b, bOff, kcb, c, cOff + r * ldc, ldc, loadC, bias, biasOff, t,
                    Math.min(shape.mr, mc - r), nv, unchecked);
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
                                           MemorySegment aBlock, MemorySegment t) {
        if (checkedAccess || !a.isNative() || !b.isNative() || !c.isNative() || c.isReadOnly() || !aBlock.isNative()
                || !t.isNative() || (bias != null && !bias.isNative())) {
            return false;
        }
        a.get(ValueLayout.JAVA_BYTE, 0);
        b.get(ValueLayout.JAVA_BYTE, 0);
        c.get(ValueLayout.JAVA_BYTE, 0);
        aBlock.get(ValueLayout.JAVA_BYTE, 0);
        t.get(ValueLayout.JAVA_BYTE, 0);
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
