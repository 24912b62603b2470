package io.numarrow.spark;

import io.numarrow.BadInputException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * Copies the feature values of one row (an {@code array<float>} or an ML Vector) into a row of an
 * off-heap Arrow batch, checking their count against {@code d}. Spark's own binary arrays are
 * copied as one block of memory; anything else value by value.
 */
final class RowFeatures {
    /** ML Vectors are stored as struct(type, size, indices, values); type 1 is dense. */
    private static final int VECTOR_FIELDS = 4;
    private static final byte DENSE = 1;

    private final FeatureColumn column;
    private final int partition;

    RowFeatures(FeatureColumn column, int partition) {
        this.column = column;
        this.partition = partition;
    }

    /** The number of features in the (non-null) input value of {@code row}. */
    int length(InternalRow row) {
        if (column.kind() == FeatureColumn.Kind.FLOAT_ARRAY) {
            return row.getArray(column.index()).numElements();
        }
        InternalRow v = row.getStruct(column.index(), VECTOR_FIELDS);
        return v.getByte(0) == DENSE ? v.getArray(3).numElements() : v.getInt(1);
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
            throw new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition " + partition
                    + ", row " + position + " (counted from 0 within the partition) has " + n
                    + " values, but " + expected + " d=" + d);
        }
        if (column.kind() == FeatureColumn.Kind.FLOAT_ARRAY) {
            copyFloats(row.getArray(column.index()), position, d, target);
        } else {
            copyVector(row.getStruct(column.index(), VECTOR_FIELDS), position, d, target);
        }
    }

    private void copyFloats(ArrayData values, long position, int d, long target) {
        if (column.elementsNullable() && hasNull(values, d)) {
            for (int i = 0; i < d; i++) {
                if (values.isNullAt(i)) {
                    throw new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition "
                            + partition + ", row " + position + " has a null at element " + i
                            + "; a row may be null as a whole, but not hold null values");
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

    private void copyVector(InternalRow vector, long position, int d, long target) {
        ArrayData values = vector.getArray(3);
        if (vector.getByte(0) == DENSE) {
            if (values instanceof UnsafeArrayData u) {
                // the doubles lie end to end after the array's header: read them straight
                Object base = u.getBaseObject();
                long from = u.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(d);
                for (int i = 0; i < d; i++) {
                    Platform.putFloat(null, target + (long) i * Float.BYTES, (float) Platform.getDouble(base, from + (long) i * Double.BYTES));
                }
                return;
            }
            for (int i = 0; i < d; i++) {
                Platform.putFloat(null, target + (long) i * Float.BYTES, (float) values.getDouble(i));
            }
            return;
        }
        ArrayData indices = vector.getArray(2);
        Platform.setMemory(target, (byte) 0, (long) d * Float.BYTES);
        for (int j = 0; j < indices.numElements(); j++) {
            int i = indices.getInt(j);
            if (i < 0 || i >= d) {
                throw new BadInputException("NumarrowTransformer: column '" + column.name() + "', partition "
                        + partition + ", row " + position + ": sparse vector index " + i + " outside its size " + d);
            }
            Platform.putFloat(null, target + (long) i * Float.BYTES, (float) values.getDouble(j));
        }
    }
}
