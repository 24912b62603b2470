package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Parquet's RLE/bit-packed hybrid (levels and dictionary indices): runs, each a varint header whose
 * low bit says a repeated value (count = header/2, the value in ceil(width/8) little-endian bytes) or
 * bit-packed groups of 8 values (groups = header/2, width bytes per group, least significant bit first).
 */
final class HybridRle {
    private HybridRle() {
    }

    /**
     * Decodes {@code count} values of {@code width} bits from {@code [from, to)} into {@code out[0..count)};
     * returns where the runs used ended.
     */
    static long decode(MemorySegment src, long from, long to, int width, int[] out, int count) {
        if (width < 0 || width > 32) {
            throw new CorruptParquetException("an RLE bit width of " + width);
        }
        long p = from;
        int n = 0;
        int valueBytes = (width + 7) >>> 3;
        long mask = width == 32 ? 0xffffffffL : (1L << width) - 1;
        while (n < count) {
            long header = 0;
            for (int shift = 0; ; shift += 7) {
                if (p >= to || shift > 28) {
                    throw new CorruptParquetException("RLE runs end after " + n + " of " + count + " values");
                }
                int b = src.get(ValueLayout.JAVA_BYTE, p++) & 0xff;
                header |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            if ((header & 1) == 0) {
                long run = header >>> 1;
                if (p + valueBytes > to || run == 0) {
                    throw new CorruptParquetException("an RLE run of " + run + " values runs past its bytes");
                }
                int value = 0;
                for (int i = 0; i < valueBytes; i++) {
                    value |= (src.get(ValueLayout.JAVA_BYTE, p++) & 0xff) << (8 * i);
                }
                int end = (int) Math.min(count, n + run);
                Arrays.fill(out, n, end, value);
                n = end;
            } else {
                long groups = header >>> 1;
                long bytes = groups * width;
                if (bytes > to - p) {
                    // writers may end the last group early; what is there is all the values left
                    bytes = to - p;
                }
                long values = Math.min(groups * 8, count - n);
                n = unpack(src, p, p + bytes, width, mask, out, n, (int) values);
                p += bytes;
            }
        }
        return p;
    }

    private static int unpack(MemorySegment src, long from, long to, int width, long mask, int[] out, int n, int values) {
        if (width == 0) {
            Arrays.fill(out, n, n + values, 0);
            return n + values;
        }
        long buffer = 0;
        int bits = 0;
        long p = from;
        int end = n + values;
        while (n < end) {
            while (bits < width) {
                if (p >= to) {
                    throw new CorruptParquetException("bit-packed values run past their bytes");
                }
                buffer |= (long) (src.get(ValueLayout.JAVA_BYTE, p++) & 0xff) << bits;
                bits += 8;
            }
            out[n++] = (int) (buffer & mask);
            buffer >>>= width;
            bits -= width;
        }
        return n;
    }

    /**
     * The deprecated BIT_PACKED levels: {@code count} values of {@code width} bits, most significant bit
     * first, in ceil(count * width / 8) bytes; returns where they end.
     */
    static long unpackMsbFirst(MemorySegment src, long from, long to, int width, int[] out, int count) {
        long bytes = ((long) count * width + 7) >>> 3;
        if (bytes > to - from) {
            throw new CorruptParquetException("BIT_PACKED levels of " + bytes + " bytes run past their page");
        }
        long bit = from * 8;
        for (int n = 0; n < count; n++) {
            int v = 0;
            for (int b = 0; b < width; b++, bit++) {
                int byteValue = src.get(ValueLayout.JAVA_BYTE, bit >>> 3) & 0xff;
                v = (v << 1) | ((byteValue >>> (7 - (int) (bit & 7))) & 1);
            }
            out[n] = v;
        }
        return from + bytes;
    }

    /** The bit width of levels up to {@code max}. */
    static int width(int max) {
        return 32 - Integer.numberOfLeadingZeros(max);
    }
}
