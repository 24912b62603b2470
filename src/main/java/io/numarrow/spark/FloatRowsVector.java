package io.numarrow.spark;

import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarMap;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A {@code FixedSizeList<float32>[d]} Arrow column as Spark's {@code array<float>}: Spark's own
 * {@code ArrowColumnVector} reads variable-size lists only. Each row's array is a view of its d floats.
 * It does not own the vectors: they belong to the reader that refills them.
 */
final class FloatRowsVector extends ColumnVector {
    private final FixedSizeListVector list;
    private final ArrowColumnVector floats;
    private final int d;

    FloatRowsVector(DataType type, FixedSizeListVector list) {
        super(type);
        this.list = list;
        this.floats = new ArrowColumnVector((Float4Vector) list.getDataVector());
        this.d = list.getListSize();
    }

    @Override
    public boolean isNullAt(int rowId) {
        return list.isNull(rowId);
    }

    @Override
    public ColumnarArray getArray(int rowId) {
        return new ColumnarArray(floats, rowId * d, d);
    }

    @Override
    public boolean hasNull() {
        return list.getNullCount() > 0;
    }

    @Override
    public int numNulls() {
        return list.getNullCount();
    }

    @Override
    public void close() {
        // the reader owns the vectors
    }

    @Override
    public boolean getBoolean(int rowId) {
        throw notScalar();
    }

    @Override
    public byte getByte(int rowId) {
        throw notScalar();
    }

    @Override
    public short getShort(int rowId) {
        throw notScalar();
    }

    @Override
    public int getInt(int rowId) {
        throw notScalar();
    }

    @Override
    public long getLong(int rowId) {
        throw notScalar();
    }

    @Override
    public float getFloat(int rowId) {
        throw notScalar();
    }

    @Override
    public double getDouble(int rowId) {
        throw notScalar();
    }

    @Override
    public ColumnarMap getMap(int ordinal) {
        throw notScalar();
    }

    @Override
    public Decimal getDecimal(int rowId, int precision, int scale) {
        throw notScalar();
    }

    @Override
    public UTF8String getUTF8String(int rowId) {
        throw notScalar();
    }

    @Override
    public byte[] getBinary(int rowId) {
        throw notScalar();
    }

    @Override
    public ColumnVector getChild(int ordinal) {
        throw notScalar();
    }

    private static UnsupportedOperationException notScalar() {
        return new UnsupportedOperationException("an array<float> column: read it with getArray");
    }
}
