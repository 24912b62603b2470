package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Raw Snappy decompression (Parquet's SNAPPY codec: a block without framing): a varint of the
 * uncompressed length, then literals and back-references (copies of 1, 2 or 4 offset bytes).
 */
final class Snappy {
    private Snappy() {
    }

    /** The uncompressed length the block at {@code [from, to)} declares. */
    static int uncompressedLength(MemorySegment src, long from, long to) {
        long v = 0;
        long p = from;
        for (int shift = 0; shift < 35; shift += 7) {
            if (p >= to) {
                throw new CorruptParquetException("a Snappy block ends inside its length");
            }
            int b = src.get(ValueLayout.JAVA_BYTE, p++) & 0xff;
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (v > Integer.MAX_VALUE) {
                    break;
                }
                return (int) v;
            }
        }
        throw new CorruptParquetException("a Snappy block's length does not fit");
    }

    /** Decompresses {@code [from, to)} of {@code src} into {@code dst}, which holds exactly the declared length. */
    static void decompress(MemorySegment src, long from, long to, byte[] dst, int length) {
        long p = from;
        while ((src.get(ValueLayout.JAVA_BYTE, p++) & 0x80) != 0) {
            // skip the length varint, read by uncompressedLength
        }
        int out = 0;
        while (p < to) {
            int tag = src.get(ValueLayout.JAVA_BYTE, p++) & 0xff;
            int kind = tag & 3;
            if (kind == 0) {
                int n = tag >>> 2;
                if (n >= 60) {
                    int bytes = n - 59;
                    if (p + bytes > to) {
                        throw new CorruptParquetException("a Snappy literal's length runs past the block");
                    }
                    n = 0;
                    for (int i = 0; i < bytes; i++) {
                        n |= (src.get(ValueLayout.JAVA_BYTE, p++) & 0xff) << (8 * i);
                    }
                }
                long len = Integer.toUnsignedLong(n) + 1;
                if (len > to - p || len > length - out) {
                    throw new CorruptParquetException("a Snappy literal of " + len + " bytes runs past the block");
                }
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, p, dst, out, (int) len);
                p += len;
                out += (int) len;
                continue;
            }
            int len;
            int offset;
            if (kind == 1) {
                if (p >= to) {
                    throw new CorruptParquetException("a Snappy copy runs past the block");
                }
                len = ((tag >>> 2) & 7) + 4;
                offset = ((tag >>> 5) << 8) | (src.get(ValueLayout.JAVA_BYTE, p++) & 0xff);
            } else {
                int bytes = kind == 2 ? 2 : 4;
                if (p + bytes > to) {
                    throw new CorruptParquetException("a Snappy copy runs past the block");
                }
                len = (tag >>> 2) + 1;
                offset = 0;
                for (int i = 0; i < bytes; i++) {
                    offset |= (src.get(ValueLayout.JAVA_BYTE, p++) & 0xff) << (8 * i);
                }
            }
            if (offset <= 0 || offset > out || len > length - out) {
                throw new CorruptParquetException("a Snappy copy of " + len + " bytes from " + offset + " back at " + out
                        + " of " + length);
            }
            if (offset >= len) {
                System.arraycopy(dst, out - offset, dst, out, len);
                out += len;
            } else {
                for (int i = 0; i < len; i++) {
                    dst[out] = dst[out - offset];
                    out++;
                }
            }
        }
        if (out != length) {
            throw new CorruptParquetException("a Snappy block gave " + out + " bytes, its header says " + length);
        }
    }
}
