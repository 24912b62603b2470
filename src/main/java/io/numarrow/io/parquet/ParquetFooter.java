package io.numarrow.io.parquet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a Parquet file's footer (Thrift {@code FileMetaData}) that reading a column needs:
 * the flattened schema, the row groups with their column chunks, and the key-value metadata.
 * Fields this reader does not use are skipped; fields that would change how the data is read
 * (encryption, chunks in other files) are recorded so that the caller can leave the file to DuckDB.
 */
record ParquetFooter(List<SchemaNode> schema, long rows, List<RowGroup> rowGroups, Map<String, String> metadata) {
    static final int TYPE_INT32 = 1;
    static final int TYPE_INT64 = 2;
    static final int TYPE_FLOAT = 4;
    static final int TYPE_DOUBLE = 5;
    static final int REQUIRED = 0;
    static final int OPTIONAL = 1;
    static final int REPEATED = 2;
    static final int CONVERTED_LIST = 3;
    static final int CONVERTED_INT_32 = 17;
    static final int CONVERTED_INT_64 = 18;

    /**
     * One element of the depth-first schema list.
     *
     * @param logicalType the LogicalType union's field id (LIST is 3, INTEGER 10), or 0
     * @param intBits     an INTEGER logical type's bit width, or 0
     * @param intSigned   an INTEGER logical type's signedness
     */
    record SchemaNode(String name, int type, int repetition, int children, int convertedType, int logicalType,
                      int intBits, boolean intSigned) {
        boolean isGroup() {
            return type < 0;
        }
    }

    /**
     * A row group.
     *
     * @param compressedSize its {@code total_compressed_size}, or -1 where the writer left it out
     */
    record RowGroup(long rows, List<Chunk> chunks, long compressedSize) {
        /**
         * The byte offset that places this row group in one of the ranges a reader splits the file into:
         * its first chunk's start plus half its compressed size. Spark's reader (parquet-mr's range
         * filter) takes a row group into the range holding this point, so computed the same way, a
         * range read here and its neighbour read by Spark never share or drop a row group.
         */
        long midpoint() {
            Chunk first = chunks.get(0);
            // a dictionary offset of 0 counts as set there too, unlike Chunk.start()
            long start = first.dictionaryOffset() >= 0 && first.dictionaryOffset() < first.dataOffset()
                    ? first.dictionaryOffset() : first.dataOffset();
            long size = compressedSize;
            if (size < 0) {
                size = 0;
                for (Chunk c : chunks) {
                    size += c.compressedSize();
                }
            }
            return start + size / 2;
        }
    }

    /**
     * A column chunk.
     *
     * @param dictionaryOffset the dictionary page's offset, or -1
     * @param elsewhere        true when the chunk lives in another file or is encrypted
     */
    record Chunk(List<String> path, int type, int codec, List<Integer> encodings, long values, long dataOffset,
                 long dictionaryOffset, long compressedSize, boolean elsewhere) {
        /** Where the chunk's first page starts: the dictionary page when there is one. */
        long start() {
            return dictionaryOffset > 0 && dictionaryOffset < dataOffset ? dictionaryOffset : dataOffset;
        }
    }

    /** Parses the footer at {@code [offset, offset + length)} of {@code file}. */
    static ParquetFooter parse(MemorySegment file, long offset, long length) {
        CompactThrift in = new CompactThrift(file, offset, offset + length);
        List<SchemaNode> schema = new ArrayList<>();
        List<RowGroup> groups = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        long rows = -1;
        boolean encrypted = false;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 2 -> {
                    int n = in.readListHeader(CompactThrift.STRUCT);
                    for (int i = 0; i < n; i++) {
                        schema.add(schemaNode(in));
                    }
                }
                case 3 -> rows = in.readI64();
                case 4 -> {
                    int n = in.readListHeader(CompactThrift.STRUCT);
                    for (int i = 0; i < n; i++) {
                        groups.add(rowGroup(in));
                    }
                }
                case 5 -> {
                    int n = in.readListHeader(CompactThrift.STRUCT);
                    for (int i = 0; i < n; i++) {
                        keyValue(in, metadata);
                    }
                }
                case 8 -> {
                    encrypted = true;
                    in.skip();
                }
                default -> in.skip();
            }
        }
        in.endStruct();
        if (schema.isEmpty() || rows < 0) {
            throw new CorruptParquetException("the footer has no schema or no row count");
        }
        if (encrypted) {
            groups = groups.stream().map(g -> new RowGroup(g.rows(), g.chunks().stream()
                    .map(c -> new Chunk(c.path(), c.type(), c.codec(), c.encodings(), c.values(), c.dataOffset(),
                            c.dictionaryOffset(), c.compressedSize(), true)).toList(), g.compressedSize())).toList();
        }
        return new ParquetFooter(List.copyOf(schema), rows, List.copyOf(groups), metadata);
    }

    private static SchemaNode schemaNode(CompactThrift in) {
        String name = null;
        int type = -1;
        int repetition = REQUIRED;
        int children = 0;
        int converted = -1;
        int logical = 0;
        int intBits = 0;
        boolean intSigned = true;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> type = in.readI32();
                case 3 -> repetition = in.readI32();
                case 4 -> name = in.readString();
                case 5 -> children = in.readI32();
                case 6 -> converted = in.readI32();
                case 10 -> {
                    in.expectStruct();
                    in.beginStruct();
                    for (int u = in.nextField(); u >= 0; u = in.nextField()) {
                        logical = u;
                        if (u == 10) {
                            in.expectStruct();
                            in.beginStruct();
                            for (int g = in.nextField(); g >= 0; g = in.nextField()) {
                                if (g == 1) {
                                    intBits = in.readI32();
                                } else if (g == 2) {
                                    intSigned = in.readBool();
                                } else {
                                    in.skip();
                                }
                            }
                            in.endStruct();
                        } else {
                            in.skip();
                        }
                    }
                    in.endStruct();
                }
                default -> in.skip();
            }
        }
        in.endStruct();
        if (name == null) {
            throw new CorruptParquetException("a schema element without a name");
        }
        if (children < 0) {
            throw new CorruptParquetException("schema element '" + name + "' has " + children + " children");
        }
        return new SchemaNode(name, children > 0 ? -1 : type, repetition, children, converted, logical, intBits, intSigned);
    }

    private static RowGroup rowGroup(CompactThrift in) {
        List<Chunk> chunks = new ArrayList<>();
        long rows = -1;
        long compressed = -1;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> {
                    int n = in.readListHeader(CompactThrift.STRUCT);
                    for (int i = 0; i < n; i++) {
                        chunks.add(chunk(in));
                    }
                }
                case 3 -> rows = in.readI64();
                case 6 -> compressed = in.readI64();
                default -> in.skip();
            }
        }
        in.endStruct();
        if (rows < 0) {
            throw new CorruptParquetException("a row group without a row count");
        }
        return new RowGroup(rows, List.copyOf(chunks), compressed);
    }

    private static Chunk chunk(CompactThrift in) {
        boolean elsewhere = false;
        Chunk meta = null;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> {
                    in.skip();
                    elsewhere = true;
                }
                case 3 -> meta = columnMetaData(in);
                case 8, 9 -> {
                    in.skip();
                    elsewhere = true;
                }
                default -> in.skip();
            }
        }
        in.endStruct();
        if (meta == null) {
            if (elsewhere) {
                return new Chunk(List.of(), -1, -1, List.of(), 0, 0, -1, 0, true);
            }
            throw new CorruptParquetException("a column chunk without metadata");
        }
        return elsewhere ? new Chunk(meta.path(), meta.type(), meta.codec(), meta.encodings(), meta.values(),
                meta.dataOffset(), meta.dictionaryOffset(), meta.compressedSize(), true) : meta;
    }

    private static Chunk columnMetaData(CompactThrift in) {
        in.expectStruct();
        List<String> path = new ArrayList<>();
        List<Integer> encodings = new ArrayList<>();
        int type = -1;
        int codec = -1;
        long values = -1;
        long compressed = -1;
        long data = -1;
        long dictionary = -1;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> type = in.readI32();
                case 2 -> {
                    int n = in.readListHeader(CompactThrift.I32);
                    for (int i = 0; i < n; i++) {
                        encodings.add(in.readListI32());
                    }
                }
                case 3 -> {
                    int n = in.readListHeader(CompactThrift.BINARY);
                    for (int i = 0; i < n; i++) {
                        path.add(in.readListString());
                    }
                }
                case 4 -> codec = in.readI32();
                case 5 -> values = in.readI64();
                case 7 -> compressed = in.readI64();
                case 9 -> data = in.readI64();
                case 11 -> dictionary = in.readI64();
                default -> in.skip();
            }
        }
        in.endStruct();
        if (type < 0 || codec < 0 || values < 0 || compressed < 0 || data < 0) {
            throw new CorruptParquetException("column chunk " + path + " lacks its type, codec, size or offset");
        }
        return new Chunk(List.copyOf(path), type, codec, List.copyOf(encodings), values, data, dictionary, compressed, false);
    }

    private static void keyValue(CompactThrift in, Map<String, String> metadata) {
        String key = null;
        String value = null;
        in.beginStruct();
        for (int f = in.nextField(); f >= 0; f = in.nextField()) {
            switch (f) {
                case 1 -> key = in.readString();
                case 2 -> value = in.readString();
                default -> in.skip();
            }
        }
        in.endStruct();
        if (key != null) {
            metadata.put(key, value);
        }
    }

    /**
     * This footer with only the row groups whose {@link RowGroup#midpoint} lies in {@code [start, end)}:
     * the part of the file a reader of that byte range reads.
     */
    ParquetFooter within(long start, long end) {
        List<RowGroup> kept = new ArrayList<>();
        long keptRows = 0;
        for (RowGroup g : rowGroups) {
            long mid = g.chunks().isEmpty() ? -1 : g.midpoint();
            if (mid >= start && mid < end) {
                kept.add(g);
                keptRows += g.rows();
            }
        }
        return new ParquetFooter(schema, keptRows, List.copyOf(kept), metadata);
    }

    /** Reads the footer of a whole file mapped as {@code file}: the last 8 bytes give its length. */
    static ParquetFooter read(MemorySegment file) {
        long size = file.byteSize();
        if (size < 12) {
            throw new CorruptParquetException("the file has " + size + " bytes");
        }
        long length = Integer.toUnsignedLong(file.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), size - 8));
        if (length > size - 12) {
            throw new CorruptParquetException("the footer's length " + length + " exceeds the file's " + size + " bytes");
        }
        return parse(file, size - 8 - length, length);
    }
}
