package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RowArgmax} against a plain loop: the first index of the maximum, -1 for a row holding NaN; on
 * odd widths, with ties, signed zeros and infinities, interpreted and again after thousands of calls
 * (compiled).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RowArgmaxTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The definition: the lowest index holding the largest value; -1 when any value is NaN or there is none. */
    static int reference(float[] x, int from, int cols) {
        int best = -1;
        for (int j = 0; j < cols; j++) {
            float v = x[from + j];
            if (Float.isNaN(v)) {
                return -1;
            }
            if (best < 0 || v > x[from + best]) {
                best = j;
            }
        }
        return best;
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {0, 1, 2, 3, 15, 16, 17, 31, 255, 256, 1000})
    void matchesTheDefinitionColdAndWarm(int cols) {
        int rows = 64;
        float[] x = rows(rows, cols, cols);
        int[] expected = new int[rows];
        for (int r = 0; r < rows; r++) {
            expected[r] = reference(x, r * cols, cols);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment out = arena.allocate((long) rows * Integer.BYTES);
            // the first calls run interpreted; later ones compiled (an exact result is the same in every tier)
            int calls = Math.max(50, 2_000_000 / Math.max(cols, 1) / rows);
            for (int call = 0; call < calls; call++) {
                out.fill((byte) 0x55);
                RowArgmax.rows(in, cols, 0, rows, out);
                if (call == 0 || call == calls - 1) {
                    for (int r = 0; r < rows; r++) {
                        assertEquals(expected[r], out.getAtIndex(ValueLayout.JAVA_INT, r),
                                "row " + r + " of " + cols + " columns, call " + call + ": " + describe(x, r, cols));
                    }
                }
            }
        }
    }

    /** A NaN in any position, in the vector part or the scalar tail, makes the row -1. */
    @Test
    void aNaNAnywhereGivesNone() {
        for (int cols : new int[] {1, 7, 16, 33, 100}) {
            for (int at = 0; at < cols; at++) {
                float[] x = new float[cols];
                for (int j = 0; j < cols; j++) {
                    x[j] = j;
                }
                x[at] = Float.NaN;
                assertEquals(-1, argmax(x), "NaN at " + at + " of " + cols);
            }
        }
    }

    @Test
    void tiesSignedZerosAndInfinities() {
        assertEquals(3, argmax(new float[] {1, 2, 0, 5, 5, 5, 1}), "ties: the lowest index");
        float[] wide = new float[40];
        wide[33] = 2;
        wide[17] = 2;
        wide[39] = 2;
        assertEquals(17, argmax(wide), "a tie across vectors: the lowest index");
        assertEquals(1, argmax(new float[] {-1, -0f, 0f, -2}), "-0.0 equals 0.0: the first of them");
        assertEquals(0, argmax(new float[] {0f, -0f}));
        float[] minusInf = new float[20];
        java.util.Arrays.fill(minusInf, Float.NEGATIVE_INFINITY);
        assertEquals(0, argmax(minusInf), "every entry -inf: all tie");
        minusInf[18] = -1e30f;
        assertEquals(18, argmax(minusInf));
        float[] plusInf = new float[20];
        plusInf[5] = Float.POSITIVE_INFINITY;
        plusInf[19] = Float.POSITIVE_INFINITY;
        assertEquals(5, argmax(plusInf));
        assertEquals(2, argmax(new float[] {Float.MIN_VALUE, 0, Float.MIN_NORMAL}));
    }

    @Test
    void badRangesAndShortSegmentsAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(10 * 4 * Float.BYTES);
            MemorySegment out = arena.allocate(10 * Integer.BYTES);
            assertThrows(IllegalArgumentException.class, () -> RowArgmax.rows(in, 4, 0, 11, out));
            assertThrows(IllegalArgumentException.class, () -> RowArgmax.rows(in, 4, 5, 4, out));
            assertThrows(IllegalArgumentException.class, () -> RowArgmax.rows(in, 4, 0, 10, out.asSlice(0, 39)));
            RowArgmax.rows(in, 4, 3, 3, out); // empty range: nothing to do
        }
    }

    private static int argmax(float[] row) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, row);
            MemorySegment out = arena.allocate(Integer.BYTES);
            RowArgmax.rows(in, row.length, 0, 1, out);
            assertEquals(reference(row, 0, row.length), out.get(ValueLayout.JAVA_INT, 0), "the definition");
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Random rows, some with a tie for the maximum (possibly across vectors), a NaN, or ±0 and infinities. */
    private static float[] rows(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-4, 4);
        }
        for (int r = 0; r < rows && cols > 0; r++) {
            int base = r * cols;
            switch (r % 6) {
                case 1 -> { // the maximum twice
                    int hi = reference(x, base, cols);
                    x[base + random.nextInt(cols)] = x[base + hi];
                }
                case 2 -> x[base + random.nextInt(cols)] = Float.NaN;
                case 3 -> { // small integers: many ties
                    for (int j = 0; j < cols; j++) {
                        x[base + j] = random.nextInt(3);
                    }
                }
                case 4 -> x[base + random.nextInt(cols)] = Float.POSITIVE_INFINITY;
                case 5 -> {
                    for (int j = 0; j < cols; j++) {
                        x[base + j] = random.nextBoolean() ? -0f : Float.NEGATIVE_INFINITY;
                    }
                }
                default -> { }
            }
        }
        return x;
    }

    private static String describe(float[] x, int r, int cols) {
        StringBuilder b = new StringBuilder();
        for (int j = 0; j < Math.min(cols, 40); j++) {
            b.append(x[r * cols + j]).append(' ');
        }
        return b.toString();
    }
}
