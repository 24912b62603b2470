package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A pass-through column of one value per row (INT32, INT64, FLOAT, DOUBLE, or a UTF-8 BYTE_ARRAY),
 * required or optional, decoded into a batch's Arrow buffers: fixed-width values copied in runs,
 * strings into offsets and a data buffer. Null rows get a cleared validity bit and a zero value.
 */
final class FlatColumn {
    /** Fixed-width values' bytes, or 0 for strings. */
    final int width;
    private final int maxDef;
    private ColumnPages pages;
    private int i;
    private int k;
    int nulls;
    /** Strings of the batch: offsets (rows + 1) and bytes. */
    int[] offsets = new int[1];
    byte[] bytes = new byte[1 << 16];
    int byteCount;

    FlatColumn(int width, int maxDef) {
        this.width = width;
        this.maxDef = maxDef;
    }

    void startChunk(ColumnPages chunk) {
        this.pages = chunk;
        this.i = 0;
        this.k = 0;
    }

    /** Starts a batch of up to {@code rows} rows. */
    void startBatch(int rows) {
        nulls = 0;
        byteCount = 0;
        if (width == 0 && offsets.length < rows + 1) {
            offsets = new int[rows + 1];
        }
        offsets[0] = 0;
    }

    /** Decodes {@code n} rows into rows {@code at..at+n}; returns the rows decoded, fewer where the chunk ends. */
    int fill(int n, int at, MemorySegment values, MemorySegment valid) {
        int done = 0;
        ColumnPages p = pages;
        while (done < n) {
            if (i >= p.count) {
                if (!p.next()) {
                    return done;
                }
                i = 0;
                k = 0;
            }
            int run = Math.min(n - done, p.count - i);
            if (width > 0 && (maxDef == 0 || allPresent(p, run))) {
                copyRun(p, run, at + done, values);
                i += run;
                k += run;
                done += run;
                continue;
            }
            for (int j = 0; j < run; j++) {
                long row = at + done;
                if (maxDef > 0 && p.def[i] < maxDef) {
                    FeatureColumn.clearBit(valid, row);
                    nulls++;
                    if (width > 0) {
                        values.asSlice(row * width, width).fill((byte) 0);
                    } else {
                        offsets[(int) row + 1] = byteCount;
                    }
                } else {
                    if (width > 0) {
                        copyRun(p, 1, row, values);
                    } else {
                        string(p, (int) row);
                    }
                    k++;
                }
                i++;
                done++;
            }
        }
        return done;
    }

    private boolean allPresent(ColumnPages p, int run) {
        int bad = 0;
        for (int j = i; j < i + run; j++) {
            bad |= p.def[j] ^ maxDef;
        }
        return bad == 0;
    }

    private void copyRun(ColumnPages p, int run, long row, MemorySegment values) {
        if (!p.dictionaryEncoded) {
            MemorySegment.copy(p.values, p.valuesAt + (long) k * width, values, row * width, (long) run * width);
            return;
        }
        MemorySegment dict = p.dictionary();
        for (int j = 0; j < run; j++) {
            MemorySegment.copy(dict, (long) p.indices[k + j] * width, values, (row + j) * width, width);
        }
    }

    private void string(ColumnPages p, int row) {
        MemorySegment from;
        long start;
        int length;
        if (p.dictionaryEncoded) {
            from = p.dictionary();
            int index = p.indices[k];
            start = p.dictionaryStart(index);
            length = p.dictionaryLength(index);
        } else {
            from = p.values;
            if (p.valuesAt + 4 > p.valuesEnd) {
                throw new CorruptParquetException("a page's strings end early");
            }
            length = from.get(ColumnPages.INT, p.valuesAt);
            start = p.valuesAt + 4;
            if (length < 0 || length > p.valuesEnd - start) {
                throw new CorruptParquetException("a string of " + length + " bytes runs past its page");
            }
            p.valuesAt = start + length;
        }
        if (bytes.length - byteCount < length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, byteCount + length));
        }
        MemorySegment.copy(from, ValueLayout.JAVA_BYTE, start, bytes, byteCount, length);
        byteCount += length;
        offsets[row + 1] = byteCount;
    }
}
