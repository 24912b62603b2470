package io.numarrow.io.parquet;

import com.github.luben.zstd.Zstd;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The pages of one column chunk, one at a time: each data page's repetition and definition levels
 * decoded into arrays, and its non-null values left where they are (a PLAIN page: in the file when
 * uncompressed, else in a buffer the page was decompressed into) or as dictionary indices. The
 * dictionary page, when there is one, is kept for the chunk's data pages.
 */
final class ColumnPages {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment file;
    private final ParquetFooter.Chunk chunk;
    private final int maxRep;
    private final int maxDef;
    /** A value's bytes, or 0 for BYTE_ARRAY (a 4-byte length before each value). */
    private final int valueBytes;
    private final long end;
    private long position;
    private long valuesLeft;

    private MemorySegment dictionary;
    private int dictionaryCount;
    /** BYTE_ARRAY dictionaries: where each entry's bytes start (after its length), and the lengths. */
    private int[] dictionaryStarts;
    private int[] dictionaryLengths;

    private byte[] pageBuffer = new byte[0];
    private byte[] compressedBuffer = new byte[0];

    /** The current data page: its level count and levels (null when the column has none). */
    int count;
    int[] rep = new int[0];
    int[] def = new int[0];
    /** Non-null values in the page. */
    int nonNull;
    /** PLAIN values: {@code values} from {@code valuesAt}; dictionary values: {@code indices}. */
    MemorySegment values;
    long valuesAt;
    long valuesEnd;
    boolean dictionaryEncoded;
    int[] indices = new int[0];

    ColumnPages(MemorySegment file, ParquetFooter.Chunk chunk, int maxRep, int maxDef, int valueBytes) {
        this.file = file;
        this.chunk = chunk;
        this.maxRep = maxRep;
        this.maxDef = maxDef;
        this.valueBytes = valueBytes;
        this.position = chunk.start();
        this.end = chunk.start() + chunk.compressedSize();
        this.valuesLeft = chunk.values();
        if (position < 4 || end > file.byteSize() - 8 || end < position) {
            throw new CorruptParquetException("column chunk " + chunk.path() + " at " + position + ".." + end
                    + " lies outside the file's " + file.byteSize() + " bytes");
        }
    }

    /** Loads the next data page; false when the chunk has no more values. */
    boolean next() {
        while (valuesLeft > 0) {
            if (position >= end) {
                throw new CorruptParquetException("column chunk " + chunk.path() + " ends with " + valuesLeft
                        + " values still to come");
            }
            CompactThrift in = new CompactThrift(file, position, end);
            PageHeader h = PageHeader.parse(in);
            long body = in.position();
            if (h.compressedSize() > end - body) {
                throw new CorruptParquetException("a page of " + h.compressedSize() + " bytes runs past column chunk "
                        + chunk.path());
            }
            position = body + h.compressedSize();
            switch (h.type()) {
                case PageHeader.DICTIONARY_PAGE -> readDictionary(h, body);
                case PageHeader.DATA_PAGE -> {
                    readDataPageV1(h, body);
                    return true;
                }
                case PageHeader.DATA_PAGE_V2 -> {
                    readDataPageV2(h, body);
                    return true;
                }
                default -> {
                    // index pages and unknown pages carry nothing this reader needs
                }
            }
        }
        return false;
    }

    private void readDictionary(PageHeader h, long body) {
        if (h.encoding() != Encodings.PLAIN && h.encoding() != Encodings.PLAIN_DICTIONARY) {
            throw new UnsupportedParquetException("a dictionary page in encoding " + h.encoding());
        }
        MemorySegment page = decompress(h, body, h.compressedSize(), h.uncompressedSize(), true);
        dictionary = page;
        dictionaryCount = h.values();
        if (valueBytes > 0) {
            if ((long) dictionaryCount * valueBytes > page.byteSize()) {
                throw new CorruptParquetException("a dictionary of " + dictionaryCount + " values in " + page.byteSize() + " bytes");
            }
            return;
        }
        dictionaryStarts = new int[dictionaryCount];
        dictionaryLengths = new int[dictionaryCount];
        long p = 0;
        for (int i = 0; i < dictionaryCount; i++) {
            int n = page.get(INT, p);
            if (n < 0 || n > page.byteSize() - p - 4) {
                throw new CorruptParquetException("a dictionary string of " + n + " bytes runs past its page");
            }
            dictionaryStarts[i] = (int) (p + 4);
            dictionaryLengths[i] = n;
            p += 4L + n;
        }
    }

    private void readDataPageV1(PageHeader h, long body) {
        MemorySegment page = decompress(h, body, h.compressedSize(), h.uncompressedSize(), false);
        startPage(h.values());
        long p = 0;
        if (maxRep > 0) {
            p = levels(page, p, rep, maxRep, h.repetitionEncoding());
        }
        if (maxDef > 0) {
            p = levels(page, p, def, maxDef, h.levelsEncoding());
        }
        startValues(h, page, p, page.byteSize());
    }

    private void readDataPageV2(PageHeader h, long body) {
        startPage(h.values());
        if (maxRep > 0) {
            HybridRle.decode(file, body, body + h.repLength(), HybridRle.width(maxRep), rep, count);
        }
        if (maxDef > 0) {
            HybridRle.decode(file, body + h.repLength(), body + h.repLength() + h.defLength(), HybridRle.width(maxDef), def, count);
        }
        long levels = (long) h.repLength() + h.defLength();
        MemorySegment page = h.compressed()
                ? decompress(h, body + levels, h.compressedSize() - levels, h.uncompressedSize() - levels, false)
                : file.asSlice(body + levels, h.compressedSize() - levels);
        startValues(h, page, 0, page.byteSize());
    }

    private void startPage(int values) {
        if (values < 0 || values > valuesLeft) {
            throw new CorruptParquetException("a page of " + values + " values where the chunk has " + valuesLeft + " left");
        }
        count = values;
        valuesLeft -= values;
        if (rep.length < values && maxRep > 0) {
            rep = new int[values];
        }
        if (def.length < values && maxDef > 0) {
            def = new int[values];
        }
    }

    /** v1 levels: a 4-byte length, then the RLE/bit-packed runs (or the deprecated BIT_PACKED levels). */
    private long levels(MemorySegment page, long p, int[] out, int max, int encoding) {
        if (encoding == Encodings.BIT_PACKED) {
            return HybridRle.unpackMsbFirst(page, p, page.byteSize(), HybridRle.width(max), out, count);
        }
        if (encoding != Encodings.RLE) {
            throw new UnsupportedParquetException("levels in encoding " + encoding);
        }
        if (p + 4 > page.byteSize()) {
            throw new CorruptParquetException("a data page ends before its levels");
        }
        long n = Integer.toUnsignedLong(page.get(INT, p));
        if (n > page.byteSize() - p - 4) {
            throw new CorruptParquetException("levels of " + n + " bytes run past their page");
        }
        HybridRle.decode(page, p + 4, p + 4 + n, HybridRle.width(max), out, count);
        return p + 4 + n;
    }

    private void startValues(PageHeader h, MemorySegment page, long from, long to) {
        int present = count;
        if (maxDef > 0) {
            present = 0;
            for (int i = 0; i < count; i++) {
                present += def[i] == maxDef ? 1 : 0;
            }
        }
        nonNull = present;
        values = page;
        valuesAt = from;
        valuesEnd = to;
        dictionaryEncoded = Encodings.isDictionary(h.encoding());
        if (dictionaryEncoded) {
            if (dictionary == null) {
                throw new CorruptParquetException("dictionary-encoded values without a dictionary page");
            }
            if (indices.length < present) {
                indices = new int[present];
            }
            if (present > 0) {
                if (from >= to) {
                    throw new CorruptParquetException("a dictionary-encoded page without its indices");
                }
                int width = page.get(ValueLayout.JAVA_BYTE, from);
                HybridRle.decode(page, from + 1, to, width, indices, present);
                for (int i = 0; i < present; i++) {
                    if (Integer.compareUnsigned(indices[i], dictionaryCount) >= 0) {
                        throw new CorruptParquetException("dictionary index " + indices[i] + " of " + dictionaryCount);
                    }
                }
            }
        } else if (h.encoding() != Encodings.PLAIN) {
            throw new UnsupportedParquetException("values in encoding " + h.encoding());
        } else if (valueBytes > 0 && (long) present * valueBytes > to - from) {
            throw new CorruptParquetException("a page of " + present + " values in " + (to - from) + " bytes");
        }
    }

    /** The dictionary's values (fixed-width) or bytes (BYTE_ARRAY). */
    MemorySegment dictionary() {
        return dictionary;
    }

    int dictionaryStart(int index) {
        return dictionaryStarts[index];
    }

    int dictionaryLength(int index) {
        return dictionaryLengths[index];
    }

    private MemorySegment decompress(PageHeader h, long from, long compressed, long uncompressed, boolean keep) {
        int codec = chunk.codec();
        if (codec == Encodings.UNCOMPRESSED) {
            return file.asSlice(from, compressed);
        }
        if (uncompressed < 0 || uncompressed > Integer.MAX_VALUE - 16) {
            throw new CorruptParquetException("a page of " + uncompressed + " bytes uncompressed");
        }
        int n = (int) uncompressed;
        byte[] out = keep ? new byte[n] : pageBuffer.length >= n ? pageBuffer : (pageBuffer = new byte[n]);
        if (codec == Encodings.SNAPPY) {
            int declared = Snappy.uncompressedLength(file, from, from + compressed);
            if (declared != n) {
                throw new CorruptParquetException("a Snappy page of " + declared + " bytes, its header says " + n);
            }
            Snappy.decompress(file, from, from + compressed, out, n);
        } else if (codec == Encodings.ZSTD) {
            int c = (int) compressed;
            if (compressedBuffer.length < c) {
                compressedBuffer = new byte[c];
            }
            MemorySegment.copy(file, ValueLayout.JAVA_BYTE, from, compressedBuffer, 0, c);
            long got = Zstd.decompressByteArray(out, 0, n, compressedBuffer, 0, c);
            if (Zstd.isError(got) || got != n) {
                throw new CorruptParquetException("a ZSTD page gave " + (Zstd.isError(got) ? Zstd.getErrorName(got) : got + " bytes")
                        + ", its header says " + n);
            }
        } else {
            throw new UnsupportedParquetException("codec " + codec);
        }
        return MemorySegment.ofArray(out).asSlice(0, n);
    }
}
