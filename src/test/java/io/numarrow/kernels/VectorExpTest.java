package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link VectorExp} against {@link Math#exp} in double precision, measured in float ulps. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class VectorExpTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final float LO = -87.3f;
    private static final float HI = 88.7f;

    @Test
    void within2UlpDenselyOverTheNormalRange() {
        // 16M evenly spaced points (about 1e-5 apart) plus every float near the edges and near 0.
        int n = 1 << 24;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = LO + (HI - LO) * i / (n - 1);
        }
        assertMaxUlp(xs, 2.0);
        assertMaxUlp(neighbours(LO, 100_000), 2.0);
        assertMaxUlp(neighbours(HI, 100_000), 2.0);
        assertMaxUlp(neighbours(0f, 100_000), 2.0);
        assertMaxUlp(neighbours(-0.34657359f, 10_000), 2.0); // -ln2/2, where the reduction switches n
        assertMaxUlp(new float[]{LO, HI, VectorExp.LOWEST, VectorExp.HIGHEST, -1f, 1f, 0f, -0f}, 2.0);
    }

    @Test
    void specialValues() {
        float[] xs = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, -1000f, 1000f, -88f, 89f,
                Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc12345), 0f};
        float[] ys = run(xs);
        assertEquals(0f, ys[0]);
        assertEquals(Float.POSITIVE_INFINITY, ys[1]);
        assertTrue(Float.isNaN(ys[2]));
        assertEquals(0f, ys[3]);
        assertEquals(Float.POSITIVE_INFINITY, ys[4]);
        assertTrue(ys[5] >= 0f && ys[5] < 1.2e-38f, "exp(-88) is subnormal, flushed or close: " + ys[5]);
        assertEquals(Float.POSITIVE_INFINITY, ys[6]);
        assertTrue(Float.isNaN(ys[7]), "NaN with payload stays NaN");
        assertTrue(Float.isNaN(ys[8]), "negative NaN with payload stays NaN");
        assertEquals(1f, ys[9]);
    }

    @Test
    void oddLengthsUseTheTail() {
        for (int len : new int[]{1, 3, 15, 17, 33}) {
            float[] xs = new float[len];
            for (int i = 0; i < len; i++) {
                xs[i] = i * 0.5f - 3;
            }
            float[] ys = run(xs);
            for (int i = 0; i < len; i++) {
                assertEquals(Math.exp(xs[i]), ys[i], Math.ulp((float) Math.exp(xs[i])) * 2, "len " + len + " i " + i);
            }
        }
    }

    /**
     * Softmax's pass: {@code e^(x - max)} against {@code Math.exp}, within 2.5 ulp where {@code max - x ≤ 10}
     * and 5 ulp wherever the result is a normal float (its documented bounds), over 8M exponents from
     * -87.3 to 0 and every float near 0, near -10 and near the clamp; -inf and anything below -88 give
     * exactly 0; the returned sum matches a double sum of the outputs.
     */
    @Test
    void softmaxPassWithinItsUlpBoundsAndExactZeros() {
        int n = 1 << 23;
        float[] xs = new float[n];
        for (int i = 0; i < n; i++) {
            xs[i] = LO * i / (n - 1);
        }
        assertSoftmaxPassUlp(xs, 0f);
        assertSoftmaxPassUlp(neighbours(-0.0000001f, 50_000), 0f);
        assertSoftmaxPassUlp(neighbours(-87f, 50_000), 0f);
        assertSoftmaxPassUlp(neighbours(-10f, 50_000), 0f);
        for (int k = 1; k <= 14; k++) { // where the reduction's n changes, up to d = 10
            assertSoftmaxPassUlp(neighbours((float) (-(k - 0.5) * Math.log(2)), 5_000), 0f);
        }
        // the same exponents reached from a large maximum: d = max - x is what the pass works on
        float[] shifted = new float[4097];
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] = 1000f - 80f * i / (shifted.length - 1);
        }
        assertSoftmaxPassUlp(shifted, 1000f);
        float[] edges = {Float.NEGATIVE_INFINITY, -88f, -1000f, -87.7f, -Float.MAX_VALUE, 0f, -0f};
        float[] ys = new float[edges.length];
        float sum = softmaxPass(edges, 0f, ys);
        assertEquals(0f, ys[0], "-inf gives 0");
        assertEquals(0f, ys[1], "e^-88 is below the normal floats: 0");
        assertEquals(0f, ys[2]);
        assertTrue(ys[3] >= 0f && ys[3] < Float.MIN_NORMAL, "e^-87.7 subnormal or 0: " + ys[3]);
        assertEquals(0f, ys[4]);
        assertEquals(1f, ys[5]);
        assertEquals(1f, ys[6]);
        assertEquals(2f, sum, 1e-30f);
    }

    private static void assertSoftmaxPassUlp(float[] xs, float max) {
        float[] ys = new float[xs.length];
        float sum = softmaxPass(xs, max, ys);
        double worst = 0;
        float worstX = 0;
        double worstNear = 0;
        float worstNearX = 0;
        double exact = 0;
        for (int i = 0; i < xs.length; i++) {
            exact += ys[i];
            float d = max - xs[i];
            double ref = Math.exp(-(double) d);
            if (ref < Float.MIN_NORMAL) {
                continue;
            }
            double err = Math.abs(ys[i] - ref) / Math.ulp((float) ref);
            if (!(err <= worst)) {
                worst = err;
                worstX = xs[i];
            }
            if (d <= 10f && !(err <= worstNear)) {
                worstNear = err;
                worstNearX = xs[i];
            }
        }
        assertTrue(worstNear <= 2.5, "worst error where max - x <= 10: " + worstNear + " ulp at x=" + worstNearX + " (max " + max + ")");
        assertTrue(worst <= 5.0, "worst error " + worst + " ulp at x=" + worstX + " (max " + max + ")");
        // a float sum of m terms can drift by about m·2^-24 relative; the pass keeps at least 16 sums
        assertEquals(exact, sum, exact * Math.max(1e-6, xs.length / 16.0 * 0x1p-24), "sum of the outputs");
    }

    private static float softmaxPass(float[] xs, float max, float[] ys) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_FLOAT, xs);
            MemorySegment out = arena.allocate((long) xs.length * Float.BYTES);
            float sum = VectorExp.expMinusMaxAndSum(in, out, 0, xs.length, max, RowSum.scratch());
            MemorySegment.copy(out, ValueLayout.JAVA_FLOAT, 0, ys, 0, ys.length);
            return sum;
        }
    }

    private static float[] neighbours(float centre, int count) {
        float[] xs = new float[2 * count + 1];
        float up = centre;
        float down = centre;
        xs[0] = centre;
        for (int i = 1; i <= count; i++) {
            up = Math.nextUp(up);
            down = Math.nextDown(down);
            xs[2 * i - 1] = up;
            xs[2 * i] = down;
        }
        return xs;
    }

    private static void assertMaxUlp(float[] xs, double maxUlp) {
        float[] ys = run(xs);
        double worst = 0;
        float worstX = 0;
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] < LO || xs[i] > HI) {
                continue;
            }
            double ref = Math.exp(xs[i]);
            double err = Math.abs(ys[i] - ref) / Math.ulp((float) ref);
            if (!(err <= worst)) {
                worst = err;
                worstX = xs[i];
            }
        }
        assertTrue(worst <= maxUlp, "worst error " + worst + " ulp at x=" + worstX);
    }

    private static float[] run(float[] xs) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate((long) xs.length * Float.BYTES, 64);
            MemorySegment.copy(xs, 0, s, F, 0, xs.length);
            VectorExp.exp(s, s, xs.length);
            float[] ys = new float[xs.length];
            MemorySegment.copy(s, F, 0, ys, 0, ys.length);
            return ys;
        }
    }
}
