package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A reader of Thrift's compact protocol, the encoding of Parquet's footer and page headers: fields
 * as (id delta, type) bytes, integers as zig-zag varints, strings and lists with varint lengths.
 * Only what Parquet's structs use; a malformed stream throws {@link CorruptParquetException}.
 */
final class CompactThrift {
    static final int STOP = 0;
    static final int TRUE = 1;
    static final int FALSE = 2;
    static final int BYTE = 3;
    static final int I16 = 4;
    static final int I32 = 5;
    static final int I64 = 6;
    static final int DOUBLE = 7;
    static final int BINARY = 8;
    static final int LIST = 9;
    static final int SET = 10;
    static final int MAP = 11;
    static final int STRUCT = 12;
    /** Deeper than any Parquet struct nests: a corrupt stream must not recurse without end. */
    private static final int MAX_DEPTH = 64;

    private final MemorySegment bytes;
    private long position;
    private final long end;
    /** The last field id of each open struct, for the id deltas. */
    private final short[] lastField = new short[MAX_DEPTH];
    private int depth;
    private int fieldType;

    CompactThrift(MemorySegment bytes, long position, long end) {
        this.bytes = bytes;
        this.position = position;
        this.end = end;
    }

    long position() {
        return position;
    }

    void beginStruct() {
        if (++depth >= MAX_DEPTH) {
            throw new CorruptParquetException("Thrift structs nested deeper than " + MAX_DEPTH);
        }
        lastField[depth] = 0;
    }

    void endStruct() {
        depth--;
    }

    /** The next field's id, or -1 at the struct's end; its type is then {@link #fieldType()}. */
    int nextField() {
        int b = readByte();
        if (b == STOP) {
            return -1;
        }
        fieldType = b & 0x0f;
        int delta = (b >>> 4) & 0x0f;
        short id = delta == 0 ? (short) zigzag(readVarint()) : (short) (lastField[depth] + delta);
        lastField[depth] = id;
        return id;
    }

    int fieldType() {
        return fieldType;
    }

    boolean readBool() {
        if (fieldType == TRUE || fieldType == FALSE) {
            return fieldType == TRUE;
        }
        throw new CorruptParquetException("expected a Thrift bool, found type " + fieldType);
    }

    int readI32() {
        expect(I32, I16, BYTE);
        if (fieldType == BYTE) {
            return (byte) readByte();
        }
        long v = zigzag(readVarint());
        if (v != (int) v) {
            throw new CorruptParquetException("Thrift i32 out of range: " + v);
        }
        return (int) v;
    }

    long readI64() {
        expect(I64, I32, I16);
        return zigzag(readVarint());
    }

    /** An i32 element of a list (no field header). */
    int readListI32() {
        return (int) zigzag(readVarint());
    }

    String readString() {
        expect(BINARY, BINARY, BINARY);
        return readListString();
    }

    /** A string element of a list (no field header). */
    String readListString() {
        int n = length();
        byte[] b = new byte[n];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, position, b, 0, n);
        position += n;
        return new String(b, StandardCharsets.UTF_8);
    }

    byte[] readBinary() {
        expect(BINARY, BINARY, BINARY);
        int n = length();
        byte[] b = new byte[n];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, position, b, 0, n);
        position += n;
        return b;
    }

    /** A list field's header, whose elements must be of {@code elementType}: its size. */
    int readListHeader(int elementType) {
        expect(LIST, SET, LIST);
        int b = readByte();
        long size = (b >>> 4) & 0x0f;
        if (size == 15) {
            size = readVarint();
        }
        if ((b & 0x0f) != elementType) {
            throw new CorruptParquetException("expected a Thrift list of type " + elementType + ", found " + (b & 0x0f));
        }
        if (size < 0 || size > end - position) {
            throw new CorruptParquetException("Thrift list of " + size + " elements in " + (end - position) + " bytes");
        }
        return (int) size;
    }

    /** Expects a struct field (or struct list element) next. */
    void expectStruct() {
        expect(STRUCT, STRUCT, STRUCT);
    }

    /** Skips the value of the current field (its type from the field header). */
    void skip() {
        skip(fieldType, 0);
    }

    private void skip(int type, int nesting) {
        if (nesting > MAX_DEPTH) {
            throw new CorruptParquetException("Thrift values nested deeper than " + MAX_DEPTH);
        }
        switch (type) {
            case TRUE, FALSE -> {
                // the value is in the type
            }
            case BYTE -> readByte();
            case I16, I32, I64 -> readVarint();
            case DOUBLE -> advance(8);
            case BINARY -> advance(length());
            case LIST, SET -> {
                int b = readByte();
                long size = (b >>> 4) & 0x0f;
                if (size == 15) {
                    size = readVarint();
                }
                int elem = b & 0x0f;
                for (long i = 0; i < size; i++) {
                    skipElement(elem, nesting + 1);
                }
            }
            case MAP -> {
                long size = readVarint();
                if (size > 0) {
                    int kv = readByte();
                    for (long i = 0; i < size; i++) {
                        skipElement((kv >>> 4) & 0x0f, nesting + 1);
                        skipElement(kv & 0x0f, nesting + 1);
                    }
                }
            }
            case STRUCT -> {
                beginStruct();
                while (nextField() >= 0) {
                    skip(fieldType, nesting + 1);
                }
                endStruct();
            }
            default -> throw new CorruptParquetException("unknown Thrift type " + type);
        }
    }

    /** Booleans inside lists and maps take a byte each, unlike fields. */
    private void skipElement(int type, int nesting) {
        if (type == TRUE || type == FALSE) {
            readByte();
        } else {
            skip(type, nesting);
        }
    }

    private void expect(int a, int b, int c) {
        if (fieldType != a && fieldType != b && fieldType != c) {
            throw new CorruptParquetException("expected Thrift type " + a + ", found " + fieldType);
        }
    }

    private int length() {
        long n = readVarint();
        if (n < 0 || n > end - position) {
            throw new CorruptParquetException("a Thrift string of " + n + " bytes in " + (end - position));
        }
        return (int) n;
    }

    private void advance(long n) {
        if (n > end - position) {
            throw new CorruptParquetException("the Thrift stream ends early");
        }
        position += n;
    }

    private int readByte() {
        if (position >= end) {
            throw new CorruptParquetException("the Thrift stream ends early");
        }
        return bytes.get(ValueLayout.JAVA_BYTE, position++) & 0xff;
    }

    private long readVarint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readByte();
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new CorruptParquetException("a Thrift varint longer than 10 bytes");
    }

    private static long zigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
