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

    /** {@code out[i] = e^in[i]} for {@code count} floats; {@code in} and {@code out} may be the same. */
    public static void exp(MemorySegment in, MemorySegment out, long count) {
        if (in.byteSize() < count * Float.BYTES || out.byteSize() < count * Float.BYTES) {
            throw new IllegalArgumentException("exp of " + count + " floats: input holds " + in.byteSize() / Float.BYTES
                    + ", output " + out.byteSize() / Float.BYTES);
        }
        long bytes = count * Float.BYTES;
        long vb = SPECIES.vectorByteSize();
        FloatVector c1 = FloatVector.broadcast(SPECIES, C1);
        FloatVector c2 = FloatVector.broadcast(SPECIES, C2);
        FloatVector c3 = FloatVector.broadcast(SPECIES, C3);
        FloatVector c4 = FloatVector.broadcast(SPECIES, C4);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector ln2Hi = FloatVector.broadcast(SPECIES, -LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(SPECIES, -LN2_LO);
        long fullBytes = bytes - bytes % vb;
        for (long off = 0; off < bytes; off += vb) {
            // Unmasked except the last partial vector: a mask made every step costs several times
            // the loads and stores it guards.
            boolean tail = off >= fullBytes;
            VectorMask<Float> valid = tail ? SPECIES.indexInRange(off / Float.BYTES, count) : SPECIES.maskAll(true);
            FloatVector x = tail ? FloatVector.fromMemorySegment(SPECIES, in, off, ORDER, valid)
                    : FloatVector.fromMemorySegment(SPECIES, in, off, ORDER);
            // Same steps as expMinusMaxAndSum, kept inline: a vector passed to or returned from a method
            // the JIT does not inline is boxed, which costs a hundredfold.
            FloatVector t = x.fma(LOG2E, SHIFTER);
            FloatVector n = t.sub(SHIFTER);
            FloatVector r = n.fma(ln2Hi, x);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(C6, C5).fma(r, c4).fma(r, c3).fma(r, c2).fma(r, c1).fma(r, one);
            IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            FloatVector y = p.reinterpretAsInts().add(scale).reinterpretAsFloats();
            y = y.blend(0f, x.compare(VectorOperators.LT, LOWEST));
            VectorMask<Float> highOrNaN = x.compare(VectorOperators.LE, HIGHEST).not();
            y = y.blend(x.mul(Float.POSITIVE_INFINITY), highOrNaN);
            if (tail) {
                y.intoMemorySegment(out, off, ORDER, valid);
            } else {
                y.intoMemorySegment(out, off, ORDER);
            }
        }
    }

    /**
     * Softmax's middle pass over one row of {@code cols} floats at byte offset {@code base}: writes
     * {@code e^(in[j] - max)} to {@code out} and returns their sum. {@code max} must be the row's finite
     * maximum, so every exponent is ≤ 0 or {@code -inf} and the overflow and NaN fix-ups of {@link #exp}
     * are not needed.
     */
    static float expMinusMaxAndSum(MemorySegment in, MemorySegment out, long base, int cols, float max) {
        FloatVector vmax = FloatVector.broadcast(SPECIES, max);
        FloatVector c1 = FloatVector.broadcast(SPECIES, C1);
        FloatVector c2 = FloatVector.broadcast(SPECIES, C2);
        FloatVector c3 = FloatVector.broadcast(SPECIES, C3);
        FloatVector c4 = FloatVector.broadcast(SPECIES, C4);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector ln2Hi = FloatVector.broadcast(SPECIES, -LN2_HI);
        FloatVector ln2Lo = FloatVector.broadcast(SPECIES, -LN2_LO);
        FloatVector sum = FloatVector.zero(SPECIES);
        int lanes = SPECIES.length();
        int full = cols - cols % lanes;
        for (int j = 0; j < full; j += lanes) {
            long off = base + (long) j * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, ORDER).sub(vmax);
            FloatVector t = x.fma(LOG2E, SHIFTER);
            FloatVector n = t.sub(SHIFTER);
            FloatVector r = n.fma(ln2Hi, x);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(C6, C5).fma(r, c4).fma(r, c3).fma(r, c2).fma(r, c1).fma(r, one);
            IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            FloatVector y = p.reinterpretAsInts().add(scale).reinterpretAsFloats();
            y = y.blend(0f, x.compare(VectorOperators.LT, LOWEST));
            y.intoMemorySegment(out, off, ORDER);
            sum = sum.add(y);
        }
        if (full < cols) {
            long off = base + (long) full * Float.BYTES;
            VectorMask<Float> valid = SPECIES.indexInRange(full, cols);
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, ORDER, valid).sub(vmax);
            FloatVector t = x.fma(LOG2E, SHIFTER);
            FloatVector n = t.sub(SHIFTER);
            FloatVector r = n.fma(ln2Hi, x);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(C6, C5).fma(r, c4).fma(r, c3).fma(r, c2).fma(r, c1).fma(r, one);
            IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            FloatVector y = p.reinterpretAsInts().add(scale).reinterpretAsFloats();
            // Lanes past the row's end are zeroed so they add nothing to the sum.
            y = y.blend(0f, x.compare(VectorOperators.LT, LOWEST).or(valid.not()));
            y.intoMemorySegment(out, off, ORDER, valid);
            sum = sum.add(y);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
