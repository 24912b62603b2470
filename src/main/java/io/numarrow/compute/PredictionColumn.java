package io.numarrow.compute;

import io.numarrow.kernels.RowArgmax;
import java.lang.foreign.MemorySegment;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;

/**
 * The int32 column of row classes that {@code argmax} adds: allocated for a batch, written by the
 * kernels through a segment over its data buffer, then given its nulls (a null input row, or scores
 * with no defined maximum).
 */
final class PredictionColumn {
    private PredictionColumn() {
    }

    /** (Re)allocates {@code v} for {@code rows} rows, reusing its buffers when they are large enough. */
    static void prepare(IntVector v, int rows) {
        if (v.getValueCapacity() < rows) {
            v.allocateNew(rows);
        }
        v.setValueCount(rows);
    }

    /** The data buffer of {@code v}'s first {@code rows} rows, for the kernels to write. */
    static MemorySegment segment(IntVector v, int rows) {
        return MemorySegment.ofAddress(v.getDataBufferAddress()).reinterpret((long) rows * Integer.BYTES);
    }

    /** Marks each row valid, or null where {@code x}'s row is null or its class is {@link RowArgmax#NONE}. */
    static void finish(IntVector v, FixedSizeListVector x) {
        int rows = v.getValueCount();
        for (int r = 0; r < rows; r++) {
            // the raw value: get() refuses a slot not yet marked valid
            if (x.isNull(r) || v.getDataBuffer().getInt((long) r * Integer.BYTES) == RowArgmax.NONE) {
                v.setNull(r);
            } else {
                v.setIndexDefined(r);
            }
        }
    }
}
