package io.numarrow.spark;

import io.numarrow.BadInputException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * Copies the feature values of one row (an {@code array<float>} or an ML Vector) into a row of an
 * off-heap Arrow batch, checking their count against {@code d}. Spark's own binary rows are read in
 * place: an {@code array<float>} is one block copy, a dense Vector's doubles are narrowed a vector at a
 * time ({@link FloatWidth}); anything else goes value by value.
 */
final class RowFeatures {
    /** ML Vectors are stored as struct(type, size, indices, values); type 1 is dense. */
    private static final int VECTOR_FIELDS = 4;
    private static final byte DENSE = 1;

    private final FeatureColumn column;
    private final int partition;
    /** Reused views into the current row's memory (see {@link #vectorOf}). */
    private final UnsafeRow vector = new UnsafeRow(VECTOR_FIELDS);
    private final UnsafeArrayData values = new UnsafeArrayData();
    private final UnsafeArrayData indices = new UnsafeArrayData();
    /**
     * Native room for one row's doubles when they lie on the heap (a cached DataFrame's buffers,
     * {@link CachedColumnRows}): one block copy there, then narrowed a vector at a time, is faster
     * than narrowing value by value from the heap ({@link FloatWidth}).
     */
    private MemorySegment heapDoubles;

    RowFeatures(FeatureColumn column, int partition) {
        this.column = column;
        this.partition = partition;
    }

    /** The number of features in the (non-null) input value of {@code row}. */
    int length(InternalRow row) {
        if (column.kind() == FeatureColumn.Kind.FLOAT_ARRAY) {
            return arrayOf(row, column.index(), values).numElements();
        }
        InternalRow v = vectorOf(row);
        return v.getByte(0) == DENSE ? arrayOf(v, 3, values).numElements() : v.getInt(1);
    }

    /**
     * The row's ML Vector struct. Spark's binary rows are read in place through one reused
     * {@code UnsafeRow} (its {@code getStruct} would make a new one per row).
     */
    private InternalRow vectorOf(InternalRow row) {
        if (row instanceof UnsafeRow u) {
            long offsetAndSize = u.getLong(column.index());
            vector.pointTo(u.getBaseObject(), u.getBaseOffset() + (int) (offsetAndSize >> 32), (int) offsetAndSize);
            return vector;
        }
        return row.getStruct(column.index(), VECTOR_FIELDS);
    }

    /** The array at {@code ordinal} of {@code row}, in place through {@code reuse} when the row is binary. */
    private static ArrayData arrayOf(InternalRow row, int ordinal, UnsafeArrayData reuse) {
        if (row instanceof UnsafeRow u) {
            long offsetAndSize = u.getLong(ordinal);
            reuse.pointTo(u.getBaseObject(), u.getBaseOffset() + (int) (offsetAndSize >> 32), (int) offsetAndSize);
            return reuse;
        }
        return row.getArray(ordinal);
    }

    /**
     * Writes the {@code d} features of {@code row} at native address {@code target}.
     *
     * @param position the row's index within its partition, for messages
     * @param expected says where {@code d} came from, for messages
     */
    void copy(InternalRow row, long position, int d, long target, String expected) {
        int n = length(row);
        if (n != d) {
            throw wrongLength(position, n, d, expected);
        }
        if (column.kind() == FeatureColumn.Kind.FLOAT_ARRAY) {
            copyFloats(arrayOf(row, column.index(), values), position, d, target);
        } else {
            copyVector(vectorOf(row), position, d, target);
        }
    }

    /** A row of {@code n} values where {@code d} were expected ({@code expected} says why). */
    BadInputException wrongLength(long position, int n, int d, String expected) {
        return new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition " + partition
                + ", row " + position + " (counted from 0 within the partition) has " + n
                + " values, but " + expected + " d=" + d);
    }

    /** A non-null row holding a null value at element {@code i}. */
    BadInputException nullElement(long position, int i) {
        return new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition "
                + partition + ", row " + position + " has a null at element " + i
                + "; a row may be null as a whole, but not hold null values");
    }

    private void copyFloats(ArrayData values, long position, int d, long target) {
        if (column.elementsNullable() && hasNull(values, d)) {
            for (int i = 0; i < d; i++) {
                if (values.isNullAt(i)) {
                    throw nullElement(position, i);
                }
            }
        }
        if (values instanceof UnsafeArrayData u) {
            long header = UnsafeArrayData.calculateHeaderPortionInBytes(d);
            Platform.copyMemory(u.getBaseObject(), u.getBaseOffset() + header, null, target, (long) d * Float.BYTES);
        } else {
            for (int i = 0; i < d; i++) {
                Platform.putFloat(null, target + (long) i * Float.BYTES, values.getFloat(i));
            }
        }
    }

    /**
     * Whether any of the {@code d} elements is null. A Spark binary array keeps its null bits in
     * 64-bit words after the 8-byte element count, so this reads {@code d/64} words, not d bits.
     */
    private static boolean hasNull(ArrayData values, int d) {
        if (!(values instanceof UnsafeArrayData u)) {
            for (int i = 0; i < d; i++) {
                if (values.isNullAt(i)) {
                    return true;
                }
            }
            return false;
        }
        int words = (d + 63) / 64;
        for (int w = 0; w < words; w++) {
            if (Platform.getLong(u.getBaseObject(), u.getBaseOffset() + 8 + 8L * w) != 0) {
                return true;
            }
        }
        return false;
    }

    private void copyVector(InternalRow struct, long position, int d, long target) {
        ArrayData doubles = arrayOf(struct, 3, values);
        if (struct.getByte(0) == DENSE) {
            if (doubles instanceof UnsafeArrayData u) {
                // the doubles lie end to end after the array's header
                Object base = u.getBaseObject();
                long offset = u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(d);
                if (base != null) {
                    if (heapDoubles == null || heapDoubles.byteSize() < (long) d * Double.BYTES) {
                        heapDoubles = Arena.ofAuto().allocate((long) d * Double.BYTES, Double.BYTES);
                    }
                    Platform.copyMemory(base, offset, null, heapDoubles.address(), (long) d * Double.BYTES);
                    base = null;
                    offset = heapDoubles.address();
                }
                FloatWidth.narrow(base, offset, target, d);
                return;
            }
            for (int i = 0; i < d; i++) {
                Platform.putFloat(null, target + (long) i * Float.BYTES, (float) doubles.getDouble(i));
            }
            return;
        }
        ArrayData at = arrayOf(struct, 2, indices);
        Platform.setMemory(target, (byte) 0, (long) d * Float.BYTES);
        for (int j = 0; j < at.numElements(); j++) {
            int i = at.getInt(j);
            if (i < 0 || i >= d) {
                throw new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition "
                        + partition + ", row " + position + ": sparse vector index " + i + " outside its size " + d);
            }
            Platform.putFloat(null, target + (long) i * Float.BYTES, (float) doubles.getDouble(j));
        }
    }
}
