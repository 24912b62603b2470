package io.numarrow.spark;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.apache.spark.unsafe.Platform;

/**
 * Narrows Spark's doubles into Arrow's floats and widens them back, a vector at a time, between
 * Spark's memory (a base object and offset, as {@code UnsafeRow} and {@code UnsafeArrayData} hold
 * it: a {@code byte[]} or {@code long[]} on the heap, or a native address) and a batch's native
 * memory. An ML {@code Vector} holds doubles and numarrow computes in floats, so every feature of
 * every row passes through here: value by value it cost as much as the kernels.
 */
final class FloatWidth {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    /** As many float lanes as {@link #DOUBLES} has double lanes: one conversion maps lane to lane. */
    private static final VectorSpecies<Float> FLOATS = halfOf(DOUBLES);
    /** All of native memory, addressed by absolute address (a null base in Spark's terms). */
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private FloatWidth() {
    }

    static VectorSpecies<Float> halfOf(VectorSpecies<Double> doubles) {
        return VectorSpecies.of(float.class, VectorShape.forBitSize(doubles.vectorBitSize() / 2));
    }

    /** The {@code n} doubles at Spark's {@code (base, offset)} as floats at native {@code target}. */
    static void narrow(Object base, long offset, long target, int n) {
        narrow(DOUBLES, FLOATS, base, offset, target, n);
    }

    /** The {@code n} floats at native {@code source} as doubles at Spark's {@code (base, offset)}. */
    static void widen(long source, Object base, long offset, int n) {
        widen(DOUBLES, FLOATS, source, base, offset, n);
    }

    static void narrow(VectorSpecies<Double> doubles, VectorSpecies<Float> floats, Object base, long offset,
                       long target, int n) {
        MemorySegment from = segment(base);
        if (from == null) {
            for (int i = 0; i < n; i++) {
                Platform.putFloat(null, target + (long) i * Float.BYTES, (float) Platform.getDouble(base, offset + (long) i * Double.BYTES));
            }
            return;
        }
        long at = offset - arrayOffset(base);
        int lanes = doubles.length();
        int i = 0;
        for (; i <= n - lanes; i += lanes) {
            DoubleVector v = DoubleVector.fromMemorySegment(doubles, from, at + (long) i * Double.BYTES, ORDER);
            ((FloatVector) v.convertShape(VectorOperators.D2F, floats, 0))
                    .intoMemorySegment(NATIVE, target + (long) i * Float.BYTES, ORDER);
        }
        for (; i < n; i++) {
            NATIVE.set(ValueLayout.JAVA_FLOAT_UNALIGNED, target + (long) i * Float.BYTES,
                    (float) from.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, at + (long) i * Double.BYTES));
        }
    }

    static void widen(VectorSpecies<Double> doubles, VectorSpecies<Float> floats, long source, Object base,
                      long offset, int n) {
        MemorySegment to = segment(base);
        if (to == null) {
            for (int i = 0; i < n; i++) {
                Platform.putDouble(base, offset + (long) i * Double.BYTES, Platform.getFloat(null, source + (long) i * Float.BYTES));
            }
            return;
        }
        long at = offset - arrayOffset(base);
        int lanes = floats.length();
        int i = 0;
        for (; i <= n - lanes; i += lanes) {
            FloatVector v = FloatVector.fromMemorySegment(floats, NATIVE, source + (long) i * Float.BYTES, ORDER);
            ((DoubleVector) v.convertShape(VectorOperators.F2D, doubles, 0))
                    .intoMemorySegment(to, at + (long) i * Double.BYTES, ORDER);
        }
        for (; i < n; i++) {
            to.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, at + (long) i * Double.BYTES,
                    (double) NATIVE.get(ValueLayout.JAVA_FLOAT_UNALIGNED, source + (long) i * Float.BYTES));
        }
    }

    /** Spark's base object as a segment its offsets index (less the array's header), or null for a base we do not map. */
    private static MemorySegment segment(Object base) {
        if (base == null) {
            return NATIVE;
        }
        if (base instanceof byte[] b) {
            return MemorySegment.ofArray(b);
        }
        if (base instanceof long[] l) {
            return MemorySegment.ofArray(l);
        }
        return null;
    }

    private static long arrayOffset(Object base) {
        if (base == null) {
            return 0;
        }
        return base instanceof byte[] ? Platform.BYTE_ARRAY_OFFSET : Platform.LONG_ARRAY_OFFSET;
    }
}
