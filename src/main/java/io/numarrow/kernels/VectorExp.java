package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A vectorized {@code exp(x)} for float32, within 2 ulp of {@link Math#exp} over [-87.3, 88.7] (the range
 * whose results are normal floats), several times faster than {@code VectorOperators.EXP}.
 *
 * <p>Method: {@code x = n·ln2 + r} with {@code n} the nearest integer to {@code x/ln2}, found by adding
 * and subtracting {@code 1.5·2^23} so the rounding happens in the FPU and {@code n} can be read straight
 * from the bits; {@code r} (|r| ≤ ln2/2) is reduced in two FMA steps with ln2 split in a high and a low
 * float so no precision is lost; {@code e^r} is a degree-6 polynomial (coefficients from a Chebyshev fit
 * of {@code e^r} on [-ln2/2, ln2/2], maximum error 2e-9); the result is {@code e^r·2^n}, made by adding
 * {@code n} to the exponent field of {@code e^r}'s bits, which stays exact as long as the result is a
 * normal float.
 *
 * <p>Outside that range: below -87.34 (results that would be subnormal) gives 0, above 88.72 gives
 * {@code +inf}, {@code -inf} gives 0, NaN gives NaN.
 */
public final class VectorExp {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** ln(2^-126): below it e^x is not a normal float. */
    static final float LOWEST = -87.33654f;
    /** ln(FLT_MAX): above it e^x overflows. */
    static final float HIGHEST = 88.72283f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float SHIFTER = 0x1.8p23f;
    private static final float LN2_HI = 0.693147182464599609375f;
    private static final float LN2_LO = -1.904654299957768e-09f;
    private static final float C1 = 1.0000000377162138f;
    private static final float C2 = 0.50000000471177577f;
    private static final float C3 = 0.16666415514653275f;
    private static final float C4 = 0.041666352896775157f;
    private static final float C5 = 0.0083751263981533357f;
    private static final float C6 = 0.0013941108433972675f;

    private VectorExp() {
    }

    /** {@code e^x} per lane, every input handled (range, infinities, NaN) as the class says. */
    public static FloatVector exp(FloatVector x) {
        FloatVector y = core(x);
        y = y.blend(0f, x.compare(VectorOperators.LT, LOWEST));
        VectorMask<Float> highOrNaN = x.compare(VectorOperators.LE, HIGHEST).not();
        return y.blend(x.mul(Float.POSITIVE_INFINITY), highOrNaN);
    }

    /**
     * {@code e^x} for lanes known to be ≤ 0 or {@code -inf} (and not NaN), as in softmax after the row
     * maximum is subtracted: skips the overflow and NaN fix-ups.
     */
    static FloatVector expNonPositive(FloatVector x) {
        return core(x).blend(0f, x.compare(VectorOperators.LT, LOWEST));
    }

    /** The reduction, polynomial and scaling; only valid for x in [LOWEST, HIGHEST]. */
    private static FloatVector core(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        FloatVector t = x.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(s, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(s, -LN2_LO), r);
        FloatVector p = r.fma(C6, C5);
        p = p.fma(r, FloatVector.broadcast(s, C4));
        p = p.fma(r, FloatVector.broadcast(s, C3));
        p = p.fma(r, FloatVector.broadcast(s, C2));
        p = p.fma(r, FloatVector.broadcast(s, C1));
        p = p.fma(r, FloatVector.broadcast(s, 1f));
        // The low bits of t hold n; shifting by 23 moves n into the exponent field and the shifter's own
        // bits out of the word.
        IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
        return p.reinterpretAsInts().add(scale).reinterpretAsFloats();
    }

    /** {@code out[i] = e^in[i]} for {@code count} floats; {@code in} and {@code out} may be the same. */
    public static void exp(MemorySegment in, MemorySegment out, long count) {
        long bytes = count * Float.BYTES;
        long vb = SPECIES.vectorByteSize();
        long off = 0;
        for (; off + vb <= bytes; off += vb) {
            exp(FloatVector.fromMemorySegment(SPECIES, in, off, ORDER)).intoMemorySegment(out, off, ORDER);
        }
        if (off < bytes) {
            VectorMask<Float> m = SPECIES.indexInRange(off / Float.BYTES, count);
            exp(FloatVector.fromMemorySegment(SPECIES, in, off, ORDER, m)).intoMemorySegment(out, off, ORDER, m);
        }
    }
}
