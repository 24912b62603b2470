package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    /** ln(2^-126): below it e^x is not a normal float. */
    static final float LOWEST = -87.33654f;
    /** ln(FLT_MAX): above it e^x overflows. */
    static final float HIGHEST = 88.72283f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float SHIFTER = 0x1.8p23f;
    private static final float LN2_HI = 0.693147182464599609375f;
    private static final float LN2_LO = -1.904654299957768e-09f;
    /** {@code e^r ≈ 1 + C1·r + C2·r² + … + C6·r⁶} on [-ln2/2, ln2/2] (the Chebyshev fit above). */
    private static final float C1 = 1.0000000377162138f;
    private static final float C2 = 0.50000000471177577f;
    private static final float C3 = 0.16666415514653275f;
    private static final float C4 = 0.041666352896775157f;
    private static final float C5 = 0.0083751263981533357f;
    private static final float C6 = 0.0013941108433972675f;
    /**
     * Softmax's pass has its own, cheaper polynomial: {@code e^-s ≈ 1 + M1·s + Q2·s² + M3·s³ + Q4·s⁴ + M5·s⁵}
     * on [-ln2/2, ln2/2], degree 5 (a minimax fit of relative error, 8e-8, its float coefficients then
     * searched for the least error after rounding), the odd coefficients stored negated since the pass
     * works on {@code d = max - x ≥ 0} and reduces {@code s = d - n·ln2}. With its one-step reduction
     * (below) the pass does 8 multiplies or FMAs per vector where {@link #exp} does 10: on a CPU that
     * runs one 512-bit FMA a cycle those decide its speed (docs/performance.md).
     */
    private static final float M1 = -0.9999998211860657f;
    private static final float Q2 = 0.49999138712882996f;
    private static final float M3 = -0.16667479276657104f;
    private static final float Q4 = 0.041899703443050385f;
    private static final float M5 = -0.008296051062643528f;

    private static final VectorSpecies<Integer> I_SPECIES = SPECIES.withLanes(int.class);
    /**
     * {@code 1.5·2^23 + 127}: rounding {@code -d·log2e} against it leaves {@code n + 127}, the biased
     * exponent of {@code 2^n}, in the low bits.
     */
    private static final float BIASED_SHIFTER = 0x1.8p23f + 127;
    /** Largest {@code d = max - x} worth computing: {@code e^-88} is below the normal floats, n is -127, 2^n is 0. */
    private static final float D_CLAMP = 88f;

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
        FloatVector log2e = FloatVector.broadcast(SPECIES, LOG2E);
        FloatVector shifter = FloatVector.broadcast(SPECIES, SHIFTER);
        // every constant as a vector once, in each exp loop here: a vector op given scalars broadcasts them
        // itself, one inlining level deeper in a method the JIT must inline whole
        FloatVector c6 = FloatVector.broadcast(SPECIES, C6);
        FloatVector c5 = FloatVector.broadcast(SPECIES, C5);
        long fullBytes = bytes - bytes % vb;
        for (long off = 0; off < fullBytes; off += vb) {
            FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, ORDER);
            // Same steps as expMinusMaxAndSum, kept inline: a vector passed to or returned from a method
            // the JIT does not inline is boxed, which costs a hundredfold.
            FloatVector t = x.fma(log2e, shifter);
            FloatVector n = t.sub(shifter);
            FloatVector r = n.fma(ln2Hi, x);
            r = n.fma(ln2Lo, r);
            FloatVector p = r.fma(c6, c5).fma(r, c4).fma(r, c3).fma(r, c2).fma(r, c1).fma(r, one);
            IntVector scale = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            FloatVector y = p.reinterpretAsInts().add(scale).reinterpretAsFloats();
            y = y.blend(0f, x.compare(VectorOperators.LT, LOWEST));
            VectorMask<Float> highOrNaN = x.compare(VectorOperators.LE, HIGHEST).not();
            y = y.blend(x.mul(Float.POSITIVE_INFINITY), highOrNaN);
            y.intoMemorySegment(out, off, ORDER);
        }
        // The last partial vector in scalar code (see expMinusMaxScalar for why not masked)
        for (long off = fullBytes; off < bytes; off += Float.BYTES) {
            out.set(F, off, expScalar(in.get(F, off)));
        }
    }

    /** One float through {@link #exp}'s steps, with the same roundings (every FMA is fused). */
    static float expScalar(float x) {
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, C6, C5), r, C4), r, C3), r, C2), r, C1), r, 1f);
        float y = Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(t) << 23));
        if (x < LOWEST) {
            y = 0f;
        }
        if (!(x <= HIGHEST)) {
            y = x * Float.POSITIVE_INFINITY;
        }
        return y;
    }

    /**
     * Softmax's middle pass over one row of {@code cols} floats at byte offset {@code base}: writes
     * {@code e^(in[j] - max)} to {@code out} and returns their sum. {@code max} must be the row's finite
     * maximum and the row must hold no NaN, so every exponent is ≤ 0 or {@code -inf}.
     *
     * <p>The same method as {@link #exp} in fewer steps, which the row's known range allows: it works on
     * {@code d = max - x ≥ 0} and clamps it at 88 with one integer min (for non-negative floats the bits
     * order like the values, {@code +inf} included, so no NaN-aware float min is needed); the power of two
     * is built with the exponent bias folded into the rounding constant and applied by a multiply, which
     * makes {@code d ≥ 87.5} (and {@code -inf} entries) exactly 0 without a compare and a blend. It
     * reduces {@code d} in one FMA, {@code s = d - n·ln2} with ln2 as one float (its error, 1.9e-9, times
     * {@code n}), and evaluates a degree-5 polynomial: 8 multiplies or FMAs a vector against 10. Within
     * 2.5 ulp of {@code Math.exp(-d)} for {@code d ≤ 10} (every output at least e^-10 of the row's largest),
     * within 5 ulp wherever that is a normal float (the reduction's error grows with {@code n}); results
     * below the normal range are the correctly rounded subnormal or 0.
     */
    static float expMinusMaxAndSum(MemorySegment in, MemorySegment out, long base, int cols, float max,
                                   MemorySegment chains) {
        return expMinusMaxAndSum(in, out, base, cols, max, chains, 0);
    }

    /**
     * {@link #expMinusMaxAndSum} that also reads one int per vector {@code ahead} bytes further on in
     * {@code in} and {@code out} (0: nowhere new): the next row, whose lines then come from memory while
     * this row computes, where the maximum pass would otherwise wait for them with the FPU idle.
     * {@code base + ahead} up to {@code cols} floats on must lie in both segments.
     */
    static float expMinusMaxAndSum(MemorySegment in, MemorySegment out, long base, int cols, float max,
                                   MemorySegment chains, long ahead) {
        // Three parts in three methods that pass only scalars: one method with all of them came close to
        // the node count at which C2 stops inlining, and a Vector API call it does not inline runs the
        // boxing fallback (docs/performance.md, "Warm-up and the JIT hazard"). The sum is RowSum's order,
        // its chains kept in `chains`.
        int lanes = SPECIES.length();
        int full2 = cols - cols % (2 * lanes);
        if (full2 == 0) {
            RowSum.clear(chains);
        } else {
            expPairs(in, out, base, full2, max, chains, ahead);
        }
        int j = full2;
        if (j + lanes <= cols) {
            long off = base + (long) j * Float.BYTES;
            expVector(in, out, off, max);
            RowSum.addToEvenChain(out, off, chains);
            j += lanes;
        }
        float sum = j == 0 ? 0f : RowSum.fold(chains);
        for (; j < cols; j++) {
            long off = base + (long) j * Float.BYTES;
            float y = expMinusMaxScalar(max - in.get(F, off));
            out.set(F, off, y);
            sum += y;
        }
        return sum;
    }

    /**
     * {@link #expMinusMaxAndSum} over {@code cols} floats, a multiple of two vectors; the two sum chains
     * are stored into {@code chains} ({@link RowSum}).
     */
    private static void expPairs(MemorySegment in, MemorySegment out, long base, int cols, float max,
                                 MemorySegment chains, long ahead) {
        FloatVector vmax = FloatVector.broadcast(SPECIES, max);
        IntVector dMaxBits = IntVector.broadcast(I_SPECIES, Float.floatToRawIntBits(D_CLAMP));
        FloatVector m1 = FloatVector.broadcast(SPECIES, M1);
        FloatVector q2 = FloatVector.broadcast(SPECIES, Q2);
        FloatVector m3 = FloatVector.broadcast(SPECIES, M3);
        FloatVector q4 = FloatVector.broadcast(SPECIES, Q4);
        FloatVector m5 = FloatVector.broadcast(SPECIES, M5);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector ln2 = FloatVector.broadcast(SPECIES, LN2_HI);
        FloatVector negLog2e = FloatVector.broadcast(SPECIES, -LOG2E);
        FloatVector shifter = FloatVector.broadcast(SPECIES, BIASED_SHIFTER);
        FloatVector sum0 = FloatVector.zero(SPECIES);
        FloatVector sum1 = FloatVector.zero(SPECIES);
        int lanes = SPECIES.length();
        int touched = 0;
        // Two vectors a step with two sums: one sum would chain every step's add on the last.
        for (int j = 0; j < cols; j += 2 * lanes) {
            long off = base + (long) j * Float.BYTES;
            // The reads ahead: their values only feed `touched`, which is stored, so the JIT keeps them
            long next = off + ahead;
            touched ^= in.get(I, next) ^ in.get(I, next + SPECIES.vectorByteSize())
                    ^ out.get(I, next) ^ out.get(I, next + SPECIES.vectorByteSize());
            FloatVector d0 = vmax.sub(FloatVector.fromMemorySegment(SPECIES, in, off, ORDER));
            FloatVector d1 = vmax.sub(FloatVector.fromMemorySegment(SPECIES, in, off + SPECIES.vectorByteSize(), ORDER));
            d0 = d0.reinterpretAsInts().min(dMaxBits).reinterpretAsFloats();
            d1 = d1.reinterpretAsInts().min(dMaxBits).reinterpretAsFloats();
            FloatVector t0 = d0.fma(negLog2e, shifter);
            FloatVector t1 = d1.fma(negLog2e, shifter);
            FloatVector n0 = t0.sub(shifter);
            FloatVector n1 = t1.sub(shifter);
            FloatVector s0 = n0.fma(ln2, d0);
            FloatVector s1 = n1.fma(ln2, d1);
            FloatVector p0 = s0.fma(m5, q4).fma(s0, m3).fma(s0, q2).fma(s0, m1).fma(s0, one);
            FloatVector p1 = s1.fma(m5, q4).fma(s1, m3).fma(s1, q2).fma(s1, m1).fma(s1, one);
            FloatVector y0 = p0.mul(t0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            FloatVector y1 = p1.mul(t1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
            y0.intoMemorySegment(out, off, ORDER);
            y1.intoMemorySegment(out, off + SPECIES.vectorByteSize(), ORDER);
            // y.add(sum), not sum.add(y): a method call on the loop's running sum is devirtualized only by
            // the type profile FloatVector.add shares with every caller in the JVM, and without one the
            // add runs boxed; y's class is known from the operations that made it. Same bits: the row
            // holds no NaN, and adding two non-NaN floats commutes.
            sum0 = y0.add(sum0);
            sum1 = y1.add(sum1);
        }
        sum0.intoMemorySegment(chains, 0, ORDER);
        sum1.intoMemorySegment(chains, SPECIES.vectorByteSize(), ORDER);
        chains.set(I, RowSum.SINK_OFFSET, touched);
    }

    /**
     * Softmax's middle pass over {@code rows} short rows of {@code cols} floats from byte offset
     * {@code first}: for each row whose maximum (in {@code scratch} at {@link RowSum#ROW_MAXIMA}) is
     * finite, writes {@code e^(in[j] - max)} to {@code out} and stores {@code 1/sum} at
     * {@link RowSum#ROW_SCALES}; a row without one is filled with NaN and gets NaN there. The same values
     * and sum order as {@link #expMinusMaxAndSum}, with one method call, one set of constants and one
     * set of segment checks per block of rows rather than per row, which for a row of a few vectors
     * were most of its instructions.
     */
    static void expRowsAndScales(MemorySegment in, MemorySegment out, long first, int cols, int rows,
                                 MemorySegment scratch) {
        IntVector dMaxBits = IntVector.broadcast(I_SPECIES, Float.floatToRawIntBits(D_CLAMP));
        FloatVector m1 = FloatVector.broadcast(SPECIES, M1);
        FloatVector q2 = FloatVector.broadcast(SPECIES, Q2);
        FloatVector m3 = FloatVector.broadcast(SPECIES, M3);
        FloatVector q4 = FloatVector.broadcast(SPECIES, Q4);
        FloatVector m5 = FloatVector.broadcast(SPECIES, M5);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector ln2 = FloatVector.broadcast(SPECIES, LN2_HI);
        FloatVector negLog2e = FloatVector.broadcast(SPECIES, -LOG2E);
        FloatVector shifter = FloatVector.broadcast(SPECIES, BIASED_SHIFTER);
        int whole = cols - cols % LANES;
        long rowBytes = (long) cols * Float.BYTES;
        for (int i = 0; i < rows; i++) {
            long base = first + i * rowBytes;
            float max = scratch.get(F, RowSum.ROW_MAXIMA + (long) i * Float.BYTES);
            if (Float.isNaN(max) || Float.isInfinite(max)) {
                Softmax.fill(out, base, cols, Float.NaN);
                scratch.set(F, RowSum.ROW_SCALES + (long) i * Float.BYTES, Float.NaN);
                continue;
            }
            FloatVector vmax = FloatVector.broadcast(SPECIES, max);
            // The chain of the vector's parity first: the two swap every vector, and S0 + S1 = S1 + S0
            // bit for bit, so which is which at the end does not matter (RowSum's order)
            FloatVector chain = FloatVector.zero(SPECIES);
            FloatVector other = FloatVector.zero(SPECIES);
            // An int counter, as in every kernel loop here: C2 then hoists the segment checks out of it
            for (int j = 0; j < whole; j += LANES) {
                long off = base + (long) j * Float.BYTES;
                FloatVector d = vmax.sub(FloatVector.fromMemorySegment(SPECIES, in, off, ORDER));
                d = d.reinterpretAsInts().min(dMaxBits).reinterpretAsFloats();
                FloatVector t = d.fma(negLog2e, shifter);
                FloatVector n = t.sub(shifter);
                FloatVector s = n.fma(ln2, d);
                FloatVector p = s.fma(m5, q4).fma(s, m3).fma(s, q2).fma(s, m1).fma(s, one);
                FloatVector y = p.mul(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
                y.intoMemorySegment(out, off, ORDER);
                FloatVector added = y.add(chain); // y first, as in expPairs
                chain = other;
                other = added;
            }
            FloatVector folded = chain.add(other);
            // RowSum.fold's steps, in straight-line code as there (a loop would carry `folded` as a receiver)
            if (LANES > 32) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_32));
            }
            if (LANES > 16) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_16));
            }
            if (LANES > 8) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_8));
            }
            if (LANES > 4) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_4));
            }
            if (LANES > 2) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_2));
            }
            if (LANES > 1) {
                folded = folded.add(folded.rearrange(RowSum.SWAP_1));
            }
            float sum = folded.lane(0);
            for (int j = whole; j < cols; j++) {
                long off = base + (long) j * Float.BYTES;
                float y = expMinusMaxScalar(max - in.get(F, off));
                out.set(F, off, y);
                sum += y;
            }
            scratch.set(F, RowSum.ROW_SCALES + (long) i * Float.BYTES, 1f / sum);
        }
    }

    /** {@link #expMinusMaxAndSum} over one vector of floats, without the sum. */
    private static void expVector(MemorySegment in, MemorySegment out, long off, float max) {
        FloatVector vmax = FloatVector.broadcast(SPECIES, max);
        IntVector dMaxBits = IntVector.broadcast(I_SPECIES, Float.floatToRawIntBits(D_CLAMP));
        FloatVector shifter = FloatVector.broadcast(SPECIES, BIASED_SHIFTER);
        FloatVector x = FloatVector.fromMemorySegment(SPECIES, in, off, ORDER);
        FloatVector d = vmax.sub(x).reinterpretAsInts().min(dMaxBits).reinterpretAsFloats();
        FloatVector t = d.fma(FloatVector.broadcast(SPECIES, -LOG2E), shifter);
        FloatVector n = t.sub(shifter);
        FloatVector s = n.fma(FloatVector.broadcast(SPECIES, LN2_HI), d);
        FloatVector p = s.fma(FloatVector.broadcast(SPECIES, M5), FloatVector.broadcast(SPECIES, Q4))
                .fma(s, FloatVector.broadcast(SPECIES, M3)).fma(s, FloatVector.broadcast(SPECIES, Q2))
                .fma(s, FloatVector.broadcast(SPECIES, M1)).fma(s, FloatVector.broadcast(SPECIES, 1f));
        FloatVector y = p.mul(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
        y.intoMemorySegment(out, off, ORDER);
    }

    /**
     * One float of {@link #expMinusMaxAndSum}, {@code e^-d} for {@code d = max - x}, with the vector
     * lanes' roundings. The last partial vector of a row goes through here rather than through masked
     * vector operations: C2 compiles Vector API code well only while the type profiles inside the
     * shared Vector API methods name the vector and mask classes this code uses, and masks bring in
     * more classes (the masked loads check their lanes with integer masks). In the test suite this pass's
     * masked tail was seen compiled, with such mixed profiles, into code that ran {@code blend}'s boxing
     * fallback for the rest of the JVM.
     */
    static float expMinusMaxScalar(float d) {
        if (Float.floatToRawIntBits(d) > Float.floatToRawIntBits(D_CLAMP)) {
            d = D_CLAMP;
        }
        float t = Math.fma(d, -LOG2E, BIASED_SHIFTER);
        float n = t - BIASED_SHIFTER;
        float s = Math.fma(n, LN2_HI, d);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(s, M5, Q4), s, M3), s, Q2), s, M1), s, 1f);
        return p * Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
    }
}
