package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The features column, a Parquet {@code LIST} of {@code FLOAT}, decoded row by row into a batch's
 * {@code FixedSizeList<float32>[d]} buffers: a row of d present values is checked on its levels and
 * copied in one piece (PLAIN) or gathered from the dictionary; null rows and null values clear
 * their validity bits; a row of another length stops the read with {@link RowLengthException}.
 * Rows may continue from one page into the next.
 */
final class FeatureColumn {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int d;
    private final int maxDef;
    /** The definition level of a present, empty list; below it the row is null. */
    private final int listDef;
    private ColumnPages pages;
    private int i;
    private int k;
    private boolean inRow;
    private boolean rowNull;
    private int rowLen;
    private long row;
    private String file;
    private long fileRow;
    /** Nulls in the batch being filled: rows, and values (those of null rows included). */
    int nullRows;
    int nullValues;

    FeatureColumn(int d, int maxDef, int listDef) {
        this.d = d;
        this.maxDef = maxDef;
        this.listDef = listDef;
    }

    /** Starts a column chunk of {@code file} whose first row is the file's row {@code fileRow}. */
    void startChunk(ColumnPages chunk, String file, long fileRow) {
        this.pages = chunk;
        this.file = file;
        this.fileRow = fileRow;
        this.i = 0;
        this.k = 0;
        chunk.count = 0;
        this.inRow = false;
    }

    /**
     * Decodes the next {@code n} rows into rows {@code at..at+n} of the batch's buffers; returns the
     * rows decoded, fewer only where the chunk ends.
     */
    int fill(int n, int at, MemorySegment values, MemorySegment listValid, MemorySegment childValid) {
        int done = 0;
        ColumnPages p = pages;
        while (true) {
            if (i >= p.count) {
                if (!p.next()) {
                    if (inRow) {
                        finishRow();
                        done++;
                    }
                    return done;
                }
                i = 0;
                k = 0;
            }
            int df = p.def[i];
            if (p.rep[i] == 0) {
                if (inRow) {
                    finishRow();
                    done++;
                }
                if (done == n) {
                    return done;
                }
                inRow = true;
                rowLen = 0;
                row = at + done;
                rowNull = df < listDef;
                if (rowNull) {
                    nullRow(values, listValid, childValid);
                    i++;
                    continue;
                }
                if (df == maxDef && i + d <= p.count && wholeRow(p, i)) {
                    copyRow(p, values);
                    rowLen = d;
                    i += d;
                    k += d;
                    continue;
                }
            } else if (!inRow) {
                throw new CorruptParquetException("the column's first level continues a row (repetition level "
                        + p.rep[i] + ")");
            }
            if (!rowNull) {
                if (df == maxDef) {
                    if (rowLen < d) {
                        values.setAtIndex(ValueLayout.JAVA_FLOAT, row * d + rowLen, value(p, k));
                    }
                    k++;
                    rowLen++;
                } else if (df > listDef) {
                    if (rowLen < d) {
                        long bit = row * d + rowLen;
                        clearBit(childValid, bit);
                        values.setAtIndex(ValueLayout.JAVA_FLOAT, bit, 0f);
                        nullValues++;
                    }
                    rowLen++;
                }
            }
            i++;
        }
    }

    /** Whether levels {@code from..from+d} are one row of d present values. */
    private boolean wholeRow(ColumnPages p, int from) {
        int[] rep = p.rep;
        int[] def = p.def;
        int bad = 0;
        for (int j = from + 1; j < from + d; j++) {
            bad |= rep[j] ^ 1;
        }
        for (int j = from; j < from + d; j++) {
            bad |= def[j] ^ maxDef;
        }
        return bad == 0;
    }

    private void copyRow(ColumnPages p, MemorySegment values) {
        long to = row * d * Float.BYTES;
        if (!p.dictionaryEncoded) {
            MemorySegment.copy(p.values, p.valuesAt + (long) k * Float.BYTES, values, to, (long) d * Float.BYTES);
            return;
        }
        MemorySegment dict = p.dictionary();
        int[] idx = p.indices;
        for (int j = 0; j < d; j++) {
            values.set(ValueLayout.JAVA_FLOAT, to + 4L * j, dict.get(FLOAT, 4L * idx[k + j]));
        }
    }

    private static float value(ColumnPages p, int k) {
        return p.dictionaryEncoded ? p.dictionary().get(FLOAT, 4L * p.indices[k])
                : p.values.get(FLOAT, p.valuesAt + 4L * k);
    }

    private void nullRow(MemorySegment values, MemorySegment listValid, MemorySegment childValid) {
        clearBit(listValid, row);
        for (long j = row * d; j < (row + 1) * d; j++) {
            clearBit(childValid, j);
        }
        values.asSlice(row * d * Float.BYTES, (long) d * Float.BYTES).fill((byte) 0);
        nullRows++;
        nullValues += d;
    }

    private void finishRow() {
        inRow = false;
        if (!rowNull && rowLen != d) {
            throw new RowLengthException(file, fileRow, rowLen);
        }
        fileRow++;
    }

    static void clearBit(MemorySegment bits, long index) {
        long at = index >>> 3;
        bits.set(ValueLayout.JAVA_BYTE, at, (byte) (bits.get(ValueLayout.JAVA_BYTE, at) & ~(1 << (index & 7))));
    }
}
