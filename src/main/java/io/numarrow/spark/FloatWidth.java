package io.numarrow.spark;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.apache.spark.unsafe.Platform;

/**
 * Narrows Spark's doubles into Arrow's floats and widens them back, between Spark's memory (a base
 * object and offset, as {@code UnsafeRow} and {@code UnsafeArrayData} hold it) and a batch's native
 * memory. An ML {@code Vector} holds doubles and numarrow computes in floats, so every feature of
 * every row passes through here. Where Spark's side is native memory too (a null base: the rows
 * {@code PartitionTransform} keeps), a vector at a time; on the heap value by value, because C2 (JDK
 * 25) does not compile a double vector load from a {@code byte[]} or {@code long[]} segment into
 * instructions and runs it boxed, many times slower than the plain loop.
 */
final class FloatWidth {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;
    /** As many float lanes as {@link #DOUBLES} has double lanes: one conversion maps lane to lane. */
    private static final VectorSpecies<Float> FLOATS =
            VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));
    /** All of native memory, addressed by absolute address. */
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private FloatWidth() {
    }

    /**
     * The {@code n} doubles at Spark's {@code (base, offset)} as floats at native {@code target}. The
     * species are constants, not arguments: C2 compiles Vector API calls into instructions only where
     * it sees the species as constants.
     */
    static void narrow(Object base, long offset, long target, int n) {
        int i = 0;
        if (base == null) {
            for (; i <= n - DOUBLES.length(); i += DOUBLES.length()) {
                DoubleVector v = DoubleVector.fromMemorySegment(DOUBLES, NATIVE, offset + (long) i * Double.BYTES, ORDER);
                ((FloatVector) v.convertShape(VectorOperators.D2F, FLOATS, 0))
                        .intoMemorySegment(NATIVE, target + (long) i * Float.BYTES, ORDER);
            }
        }
        for (; i < n; i++) {
            Platform.putFloat(null, target + (long) i * Float.BYTES, (float) Platform.getDouble(base, offset + (long) i * Double.BYTES));
        }
    }

    /** The {@code n} floats at native {@code source} as doubles at Spark's {@code (base, offset)}. */
    static void widen(long source, Object base, long offset, int n) {
        int i = 0;
        if (base == null) {
            for (; i <= n - FLOATS.length(); i += FLOATS.length()) {
                FloatVector v = FloatVector.fromMemorySegment(FLOATS, NATIVE, source + (long) i * Float.BYTES, ORDER);
                ((DoubleVector) v.convertShape(VectorOperators.F2D, DOUBLES, 0))
                        .intoMemorySegment(NATIVE, offset + (long) i * Double.BYTES, ORDER);
            }
        }
        for (; i < n; i++) {
            Platform.putDouble(base, offset + (long) i * Double.BYTES, Platform.getFloat(null, source + (long) i * Float.BYTES));
        }
    }
}
