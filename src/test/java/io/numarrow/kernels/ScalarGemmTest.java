package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ScalarGemm}, the kernel matmuls run on before the vector kernels are compiled, gives bitwise
 * {@link Matmul}'s results (both the single-threaded path and packed B with row ranges), and is close
 * to a float64 reference, on whole tiles and on the masked edge tile (docs/reproducibility.md).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScalarGemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final VectorSpecies<Float> PREFERRED = FloatVector.SPECIES_PREFERRED;

    /**
     * Row counts whose bottom edge runs on the short tile (at most 4 rows) or none, K from 1 to past one K block,
     * with and without bias and accumulation.
     */
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int kc = ScalarGemm.kBlock(PREFERRED);
        int[] ms = {1, 4, 15, 16, 255};
        int[] ns = {32, 64, 256};
        int[] ks = {1, 3, 15, 17, 255, kc + 17};
        int i = 0;
        for (int m : ms) {
            for (int k : ks) {
                int n = ns[i++ % ns.length];
                out.add(Arguments.of(m, n, k, i % 2 == 0, i % 3 == 0, i % 4 == 1));
            }
        }
        out.add(Arguments.of(1000, 256, 256, false, false, false));
        out.add(Arguments.of(1000, 32, 2 * kc + 5, true, true, true));
        return out.stream();
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} bias={3} accumulate={4} transposeB={5}")
    @MethodSource("shapes")
    void bitwiseSameAsTheVectorKernels(int m, int n, int k, boolean withBias, boolean accumulate, boolean transposeB) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(m * 131L + n * 17L + k);
            MemorySegment a = random(arena, (long) m * k, rnd);
            MemorySegment b = random(arena, (long) k * n, rnd);
            MemorySegment bias = withBias ? random(arena, n, rnd) : null;
            MemorySegment start = random(arena, (long) m * n, rnd);
            MemorySegment scalar = copy(arena, start);
            MemorySegment inline = copy(arena, start);
            MemorySegment packed = copy(arena, start);

            float[][] bRows = ScalarGemm.copyB(b, k, n, transposeB, null);
            ScalarGemm.rows(a, bRows, scalar, m, n, k, ScalarGemm.kBlock(PREFERRED), 0, m, bias, accumulate);
            Matmul.multiply(PREFERRED, a, b, inline, m, n, k, transposeB, bias, accumulate);
            MemorySegment pb = arena.allocate(Matmul.packedBBytes(PREFERRED, k, n), 64);
            Matmul.packB(PREFERRED, b, k, n, transposeB, pb, 0, Matmul.panelCount(PREFERRED, n));
            int half = m / 2 / Matmul.rowGroup(PREFERRED) * Matmul.rowGroup(PREFERRED);
            Matmul.multiplyPacked(PREFERRED, pb, a, packed, m, n, k, 0, half, bias, accumulate);
            Matmul.multiplyPacked(PREFERRED, pb, a, packed, m, n, k, half, m, bias, accumulate);

            assertSameBits(inline, scalar, m, n, "Matmul.multiply");
            assertSameBits(packed, scalar, m, n, "Matmul.multiplyPacked");
            assertCloseToFloat64(a, b, bias, start, scalar, m, n, k, transposeB, accumulate);
        }
    }

    /**
     * A bottom edge of 5 rows runs on the masked tile; within one K block, without bias and accumulation,
     * it follows the contract today.
     */
    @Test
    void maskedBottomEdgeInOneKBlockWithoutBiasOrAccumulation() {
        bitwiseSameAsTheVectorKernels(17, 64, 40, false, false, false);
        bitwiseSameAsTheVectorKernels(11, 32, 255, false, false, true);
    }

    /** The masked tile adds the bias and C after its K loop, as docs/reproducibility.md says. */
    @Test
    void maskedBottomEdgeWithBiasOrAccumulation() {
        bitwiseSameAsTheVectorKernels(17, 64, 40, true, false, false);
        bitwiseSameAsTheVectorKernels(17, 64, 40, false, true, false);
        bitwiseSameAsTheVectorKernels(11, 32, 15, true, true, true);
        bitwiseSameAsTheVectorKernels(11, 32, ScalarGemm.kBlock(PREFERRED) + 3, false, false, true);
    }

    @Test
    void rowRangesComputeOnlyTheirRowsAndAgreeWithOneCall() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(7);
            int m = 23, n = 64, k = 40;
            MemorySegment a = random(arena, (long) m * k, rnd);
            MemorySegment b = random(arena, (long) k * n, rnd);
            MemorySegment whole = arena.allocate((long) m * n * Float.BYTES);
            MemorySegment parts = arena.allocate((long) m * n * Float.BYTES);
            parts.fill((byte) 0x7f); // a value no multiply gives, to see rows left untouched
            float[][] bRows = ScalarGemm.copyB(b, k, n, false, null);
            int kc = ScalarGemm.kBlock(PREFERRED);
            ScalarGemm.rows(a, bRows, whole, m, n, k, kc, 0, m, null, false);
            ScalarGemm.rows(a, bRows, parts, m, n, k, kc, 5, 11, null, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long off = ((long) i * n + j) * Float.BYTES;
                    if (i >= 5 && i < 11) {
                        assertEquals(whole.get(F, off), parts.get(F, off), "row " + i + " col " + j);
                    } else {
                        assertEquals(0x7f7f7f7f, parts.get(ValueLayout.JAVA_INT_UNALIGNED, off), "row " + i + " was written");
                    }
                }
            }
        }
    }

    @Test
    void copyOfBIsReusedWhenTheShapeFitsAndReplacedWhenNot() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = random(arena, 12, new Random(1));
            float[][] first = ScalarGemm.copyB(b, 3, 4, false, null);
            assertEquals(first, ScalarGemm.copyB(b, 3, 4, true, first));
            float[][] other = ScalarGemm.copyB(b, 4, 3, false, first);
            assertEquals(4, other.length);
            assertEquals(3, other[0].length);
            // transposed: B given as n×k = 3×4, so row p of the copy is column p of that
            float[][] t = ScalarGemm.copyB(b, 4, 3, true, null);
            for (int p = 0; p < 4; p++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(b.getAtIndex(ValueLayout.JAVA_FLOAT, (long) j * 4 + p), t[p][j]);
                }
            }
        }
    }

    @Test
    void emptyInnerDimensionGivesBiasOrKeepsCAsTheVectorKernelDoes() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(3);
            MemorySegment bias = random(arena, 32, rnd);
            MemorySegment start = random(arena, 3 * 32, rnd);
            for (boolean accumulate : new boolean[] {false, true}) {
                MemorySegment scalar = copy(arena, start);
                MemorySegment vector = copy(arena, start);
                MemorySegment none = arena.allocate(Float.BYTES);
                ScalarGemm.rows(none, ScalarGemm.copyB(none, 0, 32, false, null), scalar, 3, 32, 0,
                        ScalarGemm.kBlock(PREFERRED), 0, 3, bias, accumulate);
                Matmul.multiply(PREFERRED, none, none, vector, 3, 32, 0, false, bias, accumulate);
                assertSameBits(vector, scalar, 3, 32, "k=0, accumulate=" + accumulate);
            }
        }
    }

    @Test
    void rejectsBadShapesAndShortSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(8 * Float.BYTES);
            MemorySegment big = arena.allocate(64 * Float.BYTES);
            float[][] b44 = ScalarGemm.copyB(big, 4, 4, false, null);
            int kc = ScalarGemm.kBlock(PREFERRED);
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.copyB(small, 4, 4, false, null));
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.copyB(big, -1, 4, false, null));
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.rows(small, b44, big, 4, 4, 4, kc, 0, 4, null, false));
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.rows(big, b44, small, 4, 4, 4, kc, 0, 4, null, false));
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.rows(big, b44, big, 4, 5, 4, kc, 0, 4, null, false));
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.rows(big, b44, big, 4, 4, 4, 0, 0, 4, null, false));
            assertThrows(IndexOutOfBoundsException.class, () -> ScalarGemm.rows(big, b44, big, 4, 4, 4, kc, 2, 5, null, false));
            MemorySegment shortBias = arena.allocate(2 * Float.BYTES);
            assertThrows(IllegalArgumentException.class, () -> ScalarGemm.rows(big, b44, big, 4, 4, 4, kc, 0, 4, shortBias, false));
        }
    }

    static void assertSameBits(MemorySegment expected, MemorySegment actual, int m, int n, String what) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long off = ((long) i * n + j) * Float.BYTES;
                int e = Float.floatToRawIntBits(expected.get(F, off));
                int a = Float.floatToRawIntBits(actual.get(F, off));
                if (e != a) {
                    fail(what + " and ScalarGemm differ at row " + i + " col " + j + ": " + Float.intBitsToFloat(e)
                            + " against " + Float.intBitsToFloat(a));
                }
            }
        }
    }

    private static void assertCloseToFloat64(MemorySegment a, MemorySegment b, MemorySegment bias, MemorySegment start,
                                             MemorySegment c, int m, int n, int k, boolean transposeB, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double bv = transposeB ? b.getAtIndex(F, (long) j * k + p) : b.getAtIndex(F, (long) p * n + j);
                    s += (double) a.getAtIndex(F, (long) i * k + p) * bv;
                }
                if (bias != null) {
                    s += bias.getAtIndex(F, j);
                }
                if (accumulate) {
                    s += start.getAtIndex(F, (long) i * n + j);
                }
                // inputs in [-1, 1): float32 rounding of a k-term sum stays within k ulps of its magnitude
                double tolerance = 1e-6 * (k + 2);
                double got = c.getAtIndex(F, (long) i * n + j);
                if (Math.abs(got - s) > tolerance) {
                    fail("row " + i + " col " + j + ": " + got + ", float64 reference " + s + " (tolerance " + tolerance + ")");
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, long floats, Random rnd) {
        MemorySegment s = arena.allocate(Math.max(1, floats) * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
        }
        return s;
    }

    private static MemorySegment copy(Arena arena, MemorySegment s) {
        MemorySegment c = arena.allocate(s.byteSize(), 64);
        c.copyFrom(s);
        return c;
    }
}
