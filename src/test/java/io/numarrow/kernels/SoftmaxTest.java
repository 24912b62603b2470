package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Softmax} against a float64 reference; edge values follow the documented definition. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SoftmaxTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 2, 15, 16, 17, 64, 255, 1000, 4096, 10000})
    void rowsSumToOneAndMatchFloat64(int cols) {
        Random rnd = new Random(cols);
        int rows = 7;
        for (double spread : new double[]{1, 10, 80}) {
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) ((rnd.nextDouble() * 2 - 1) * spread);
            }
            float[] y = softmax(x, rows, cols, false);
            for (int r = 0; r < rows; r++) {
                double[] ref = reference(x, r, cols);
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    float got = y[r * cols + j];
                    sum += got;
                    assertProbability(ref[j], got, "row " + r + " col " + j + " of " + cols + ", spread " + spread);
                }
                assertEquals(1.0, sum, 1e-6, "row " + r + " sum, " + cols + " columns, spread " + spread);
            }
        }
    }

    /**
     * Rows that start anywhere relative to a cache line (Arrow's default buffers start 16 bytes past
     * one), split at a vector boundary of the output (1024 columns and more) or not: every split must give
     * the same answer, input and output misaligned alike or differently.
     */
    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {127, 128, 129, 1000, 1023, 1024, 4096})
    void rowsAtAnyAlignmentMatchFloat64(int cols) {
        Random rnd = new Random(cols);
        int rows = 3;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * 20);
        }
        ShiftedSegments.everyShift(x, (in, out, inShift, outShift) -> {
            Softmax.rows(in, out, cols, 0, rows);
            for (int r = 0; r < rows; r++) {
                double[] ref = reference(x, r, cols);
                double sum = 0;
                for (int j = 0; j < cols; j++) {
                    float got = out.getAtIndex(F, (long) r * cols + j);
                    sum += got;
                    assertProbability(ref[j], got, "row " + r + " col " + j + ", input " + inShift
                            + " and output " + outShift + " floats past a cache line");
                }
                assertEquals(1.0, sum, 1e-6, "row " + r + " sum, shifts " + inShift + "/" + outShift);
            }
        });
    }

    @Test
    void inPlaceGivesTheSameAsOutOfPlace() {
        Random rnd = new Random(3);
        int rows = 5;
        int cols = 333;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 20 - 10;
        }
        float[] outOfPlace = softmax(x, rows, cols, false);
        float[] inPlace = softmax(x, rows, cols, true);
        // Rows of 333 columns are under Softmax.MIN_SPLIT_COLS, so both take the unsplit path; the
        // tolerance is what a sum of 333 terms in another order could differ by (333·2^-24 relative at
        // worst), so the test does not depend on that path.
        for (int i = 0; i < x.length; i++) {
            assertEquals(outOfPlace[i], inPlace[i], Math.abs(outOfPlace[i]) * cols * 0x1p-24, "entry " + i);
        }
    }

    @Test
    void hugeValuesDoNotOverflow() {
        float[] x = {3e38f, 3e38f, -3e38f, 1e30f, Float.MAX_VALUE, 0f, 88.8f, 1000f, 1000f, 999f};
        float[] y = softmax(x, 2, 5, false);
        assertEquals(0.0f, y[0], 0f);
        assertEquals(0.0f, y[1], 0f);
        assertEquals(0.0f, y[2], 0f);
        assertEquals(0.0f, y[3], 0f);
        assertEquals(1.0f, y[4], 0f);
        double e = Math.exp(-1);
        assertEquals(0.0, y[5], 1e-6);
        assertEquals(0.0, y[6], 1e-6);
        assertEquals(1 / (2 + e), y[7], 1e-6);
        assertEquals(1 / (2 + e), y[8], 1e-6);
        assertEquals(e / (2 + e), y[9], 1e-6);
    }

    @Test
    void minusInfinityGivesZeroAndAllMinusInfinityGivesNaN() {
        float ninf = Float.NEGATIVE_INFINITY;
        int cols = 19;
        float[] x = new float[3 * cols];
        Arrays.fill(x, ninf);
        x[0] = 0f;
        x[18] = 0f; // row 0: two finite entries, in the body and in the tail
        // row 1 all -inf
        x[2 * cols + 5] = 1f; // row 2: one finite entry
        float[] y = softmax(x, 3, cols, false);
        for (int j = 0; j < cols; j++) {
            assertEquals(j == 0 || j == 18 ? 0.5f : 0f, y[j], 1e-7, "row 0 col " + j);
            assertTrue(Float.isNaN(y[cols + j]), "all -inf row gives NaN, col " + j);
            assertEquals(j == 5 ? 1f : 0f, y[2 * cols + j], 0f, "row 2 col " + j);
        }
    }

    @Test
    void nanOrPlusInfinityMakesTheRowNaN() {
        for (int pos : new int[]{0, 16, 40}) {
            for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY}) {
                int cols = 41;
                float[] x = new float[2 * cols];
                x[pos] = bad;
                float[] y = softmax(x, 2, cols, false);
                for (int j = 0; j < cols; j++) {
                    assertTrue(Float.isNaN(y[j]), bad + " at " + pos + " gives NaN at " + j);
                    assertEquals(1.0 / cols, y[cols + j], 1e-7, "the next row is untouched");
                }
            }
        }
    }

    @Test
    void rejectsSegmentsTooSmall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(10 * Float.BYTES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Softmax.rows(s, s, 5, 0, 3));
            assertTrue(e.getMessage().contains("3 × 5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Softmax.rows(s, s, 5, 2, 1));
        }
    }

    /**
     * Relative error a float32 softmax may have against float64: {@code x - max} is rounded to float
     * before the exp (half an ulp of 160, the widest spread here, is 7.6e-6 of the exponent, so as much
     * relative error in the result), then exp (softmax's pass: 5 ulp, 2.5 within 10 of the maximum), the row's
     * float sum and the division.
     */
    static final double RELATIVE_TOLERANCE = 2e-5;

    /**
     * A probability against float64, relatively: with 1000+ columns and a spread of 80 nearly every
     * probability is below 1e-6, so an absolute 1e-6 alone could not fail there. Below the smallest
     * normal float a probability may flush to zero. The absolute 1e-6 still holds too (it is the
     * tighter bound on large probabilities).
     */
    static void assertProbability(double expected, float got, String where) {
        double tolerance = Float.MIN_NORMAL + RELATIVE_TOLERANCE * expected;
        if (!(Math.abs(got - expected) <= tolerance) || !(Math.abs(got - expected) <= 1e-6)) {
            throw new AssertionError(where + ": expected " + expected + ", got " + got + ", relative error "
                    + Math.abs(got - expected) / expected);
        }
    }

    private static double[] reference(float[] x, int r, int cols) {
        double[] row = new double[cols];
        for (int j = 0; j < cols; j++) {
            row[j] = x[r * cols + j];
        }
        return Reference.softmaxRow(row);
    }

    private static float[] softmax(float[] x, int rows, int cols, boolean inPlace) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(Math.max(1, (long) x.length * Float.BYTES), 16);
            MemorySegment.copy(x, 0, in, F, 0, x.length);
            MemorySegment out = inPlace ? in : arena.allocate(Math.max(1, (long) x.length * Float.BYTES), 16);
            Softmax.rows(in, out, cols, 0, rows);
            float[] y = new float[x.length];
            MemorySegment.copy(out, F, 0, y, 0, y.length);
            return y;
        }
    }
}
