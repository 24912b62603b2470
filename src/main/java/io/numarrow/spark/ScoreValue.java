package io.numarrow.spark;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * One appended value of {@code h} floats, in Spark's internal form, refilled row after row from a
 * batch's native memory: an {@code array<float>} (one memory copy) or a dense ML {@code Vector}
 * (Spark's {@code struct<type, size, indices, values>} with {@code type} 1, the floats widened to
 * doubles a vector at a time). Spark's scan of the transformer's rows copies the value at once, so one object serves every row.
 */
final class ScoreValue implements AutoCloseable {
    private static final byte DENSE = 1;

    private final int h;
    private final boolean vector;
    private final ArrowBuf memory;
    private final UnsafeArrayData values;
    private final long header;
    private final GenericInternalRow dense;

    /** Its memory comes from {@code allocator}, until {@link #close()}. */
    ScoreValue(int h, boolean vector, BufferAllocator allocator) {
        this.h = h;
        this.vector = vector;
        // Spark lays the array out (header, null bits, values); a copy of it in native memory lets
        // FloatWidth widen a vector at a time
        UnsafeArrayData layout = vector ? UnsafeArrayData.fromPrimitiveArray(new double[h])
                : UnsafeArrayData.fromPrimitiveArray(new float[h]);
        this.memory = allocator.buffer(layout.getSizeInBytes());
        layout.writeToMemory(null, memory.memoryAddress());
        this.values = new UnsafeArrayData();
        values.pointTo(null, memory.memoryAddress(), layout.getSizeInBytes());
        this.header = UnsafeArrayData.calculateHeaderPortionInBytes(h);
        this.dense = vector ? new GenericInternalRow(new Object[] {DENSE, null, null, values}) : null;
    }

    @Override
    public void close() {
        memory.close();
    }

    /** The value for the {@code h} floats at native address {@code address}. */
    Object of(long address) {
        Object base = values.getBaseObject();
        long at = values.getBaseOffset() + header;
        if (!vector) {
            Platform.copyMemory(null, address, base, at, (long) h * Float.BYTES);
            return values;
        }
        FloatWidth.widen(address, base, at, h);
        return dense;
    }

    /** The value {@code [-z, z]} ({@code h} = 2): a binomial model's raw prediction from its margin z. */
    Object ofMargin(float z) {
        Object base = values.getBaseObject();
        long at = values.getBaseOffset() + header;
        if (vector) {
            Platform.putDouble(base, at, -z);
            Platform.putDouble(base, at + Double.BYTES, z);
            return dense;
        }
        Platform.putFloat(base, at, -z);
        Platform.putFloat(base, at + Float.BYTES, z);
        return values;
    }
}
