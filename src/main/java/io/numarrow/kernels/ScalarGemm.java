package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matmul in plain scalar Java, for the moments before the JIT's optimising compiler has compiled the
 * Vector API micro-kernels: until then every vector is a boxed object and {@link Matmul} runs at well
 * under 1 GFLOPS, while this code runs at once in C1's compiled code and, being a short loop, gets
 * through C2 within milliseconds, which turns its inner loop into vector instructions by itself.
 *
 * <p>It gives bitwise the same C as {@link Matmul} with the same species (docs/reproducibility.md): K is
 * cut at the micro-kernel's {@code kc}, and each element of C is one chain of {@link Math#fma} over its
 * block in increasing p, started from zero, then the bias (first block only), then C's previous value
 * (a later block, or when accumulating). Only the order in which elements are visited differs, and
 * that changes no bits.
 *
 * <p>B is first copied into one {@code float[]} per row ({@link #copyB}, transposing if asked), so that
 * the inner loop runs over arrays at one index, a shape C2 vectorizes; rows of A are read in place.
 */
public final class ScalarGemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private ScalarGemm() {
    }

    /** The K block the vector micro-kernel of {@code species} uses, which this kernel must follow. */
    public static int kBlock(VectorSpecies<Float> species) {
        return GemmBlocking.forShape(TileChoice.of(species)).kc();
    }

    /**
     * B ({@code k×n}, or {@code n×k} when {@code transposeB}) as {@code k} rows of {@code n} floats, in
     * {@code reuse} when it has that shape (no allocation), in new arrays otherwise. Rows are separate
     * arrays because C2 vectorizes {@code acc[j] = fma(a, row[j], acc[j])} but not the same loop over
     * one array at an offset: it cannot rule out that {@code acc} and that array overlap.
     */
    public static float[][] copyB(MemorySegment b, int k, int n, boolean transposeB, float[][] reuse) {
        Objects.requireNonNull(b, "B");
        if (k < 0 || n < 0) {
            throw new IllegalArgumentException("negative shape of B: k=" + k + ", n=" + n);
        }
        if (b.byteSize() < (long) k * n * Float.BYTES) {
            throw new IllegalArgumentException("B holds " + b.byteSize() / Float.BYTES + " floats, too few for "
                    + (transposeB ? n + "×" + k : k + "×" + n));
        }
        float[][] rows = reuse != null && reuse.length == k && (k == 0 || reuse[0].length == n) ? reuse : new float[k][n];
        if (!transposeB) {
            for (int p = 0; p < k; p++) {
                MemorySegment.copy(b, F, (long) p * n * Float.BYTES, rows[p], 0, n);
            }
            return rows;
        }
        for (int j = 0; j < n; j++) {
            long row = (long) j * k * Float.BYTES;
            for (int p = 0; p < k; p++) {
                rows[p][j] = b.get(F, row + (long) p * Float.BYTES);
            }
        }
        return rows;
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of {@code C (=|+=) A·B (+ bias)}, B as {@link #copyB} left it.
     *
     * @param kc the K block: {@link #kBlock} of the species whose results these must equal
     */
    public static void rows(MemorySegment a, float[][] b, MemorySegment c, int m, int n, int k, int kc,
                            int rowStart, int rowEnd, MemorySegment bias, boolean accumulate) {
        Objects.requireNonNull(a, "A");
        Objects.requireNonNull(b, "B");
        Objects.requireNonNull(c, "C");
        if (m < 0 || n < 0 || k < 0 || kc < 1) {
            throw new IllegalArgumentException("bad matmul shape m=" + m + ", n=" + n + ", k=" + k + ", kc=" + kc);
        }
        Objects.checkFromToIndex(rowStart, rowEnd, m);
        checkFloats(a, (long) m * k, "A");
        checkFloats(c, (long) m * n, "C");
        if (b.length != k || (k > 0 && b[0].length != n)) {
            throw new IllegalArgumentException("B copy is not " + k + "×" + n);
        }
        if (rowStart == rowEnd || n == 0) {
            return;
        }
        Scratch s = SCRATCH.get().ensure(n, Math.min(k, kc));
        float[] biasRow = null;
        if (bias != null) {
            checkFloats(bias, n, "bias");
            MemorySegment.copy(bias, F, 0, s.bias, 0, n);
            biasRow = s.bias;
        }
        // Segments are read and written in bulk, one row at a time: element accesses through a segment
        // are slow until the JIT has compiled them, and this code runs exactly then.
        for (int i = rowStart; i < rowEnd; i++) {
            long aRow = (long) i * k * Float.BYTES;
            long cRow = (long) i * n * Float.BYTES;
            if (k == 0) {
                noProducts(s, n, c, cRow, biasRow, accumulate);
                continue;
            }
            for (int pc = 0; pc < k; pc += kc) {
                int kcb = Math.min(kc, k - pc);
                MemorySegment.copy(a, F, aRow + (long) pc * Float.BYTES, s.a, 0, kcb);
                block(s.sums, n, b, pc, s.a, kcb);
                finish(s, n, c, cRow, pc == 0 ? biasRow : null, accumulate || pc > 0);
            }
        }
    }

    /** {@code sums[j] = Σ_p a[p]·B[pc + p][j]} for p ascending from 0, as one fma chain per j. */
    private static void block(float[] sums, int n, float[][] b, int pc, float[] a, int kcb) {
        java.util.Arrays.fill(sums, 0, n, 0f);
        int p = 0;
        for (; p + 4 <= kcb; p += 4) {
            axpy4(sums, n, b[pc + p], b[pc + p + 1], b[pc + p + 2], b[pc + p + 3], a[p], a[p + 1], a[p + 2], a[p + 3]);
        }
        for (; p < kcb; p++) {
            axpy(sums, n, b[pc + p], a[p]);
        }
    }

    /** {@code acc[j] = fma(a3, b3[j], fma(a2, b2[j], fma(a1, b1[j], fma(a0, b0[j], acc[j]))))}: four steps of p, in order. */
    private static void axpy4(float[] acc, int n, float[] b0, float[] b1, float[] b2, float[] b3,
                              float a0, float a1, float a2, float a3) {
        for (int j = 0; j < n; j++) {
            acc[j] = Math.fma(a3, b3[j], Math.fma(a2, b2[j], Math.fma(a1, b1[j], Math.fma(a0, b0[j], acc[j]))));
        }
    }

    private static void axpy(float[] acc, int n, float[] b0, float a0) {
        for (int j = 0; j < n; j++) {
            acc[j] = Math.fma(a0, b0[j], acc[j]);
        }
    }

    /** One block's sums into C's row: plus the bias, plus C's current value when {@code loadC}. */
    private static void finish(Scratch s, int n, MemorySegment c, long cRow, float[] bias, boolean loadC) {
        float[] sums = s.sums;
        if (loadC) {
            MemorySegment.copy(c, F, cRow, s.c, 0, n);
        }
        if (bias != null && loadC) {
            addBiasAndC(sums, bias, s.c, n);
        } else if (bias != null) {
            add(sums, bias, n);
        } else if (loadC) {
            add(sums, s.c, n);
        }
        MemorySegment.copy(sums, 0, c, F, cRow, n);
    }

    private static void addBiasAndC(float[] sums, float[] bias, float[] c, int n) {
        for (int j = 0; j < n; j++) {
            sums[j] = sums[j] + bias[j] + c[j];
        }
    }

    private static void add(float[] sums, float[] x, int n) {
        for (int j = 0; j < n; j++) {
            sums[j] = sums[j] + x[j];
        }
    }

    /** k = 0, as {@link Matmul} does it: C (or zero) plus the bias, in that order. */
    private static void noProducts(Scratch s, int n, MemorySegment c, long cRow, float[] bias, boolean accumulate) {
        if (accumulate) {
            MemorySegment.copy(c, F, cRow, s.sums, 0, n);
        } else {
            java.util.Arrays.fill(s.sums, 0, n, 0f);
        }
        if (bias != null) {
            add(s.sums, bias, n);
        }
        MemorySegment.copy(s.sums, 0, c, F, cRow, n);
    }

    /** One thread's rows of sums, A, C and the bias, grown when a wider problem comes. */
    private static final class Scratch {
        float[] sums = new float[0];
        float[] a = new float[0];
        float[] c = new float[0];
        float[] bias = new float[0];

        Scratch ensure(int n, int kc) {
            if (sums.length < n) {
                sums = new float[n];
                c = new float[n];
                bias = new float[n];
            }
            if (a.length < kc) {
                a = new float[kc];
            }
            return this;
        }
    }

    private static void checkFloats(MemorySegment s, long floats, String what) {
        if (s.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + " holds " + s.byteSize() / Float.BYTES + " floats, needs " + floats);
        }
    }
}
