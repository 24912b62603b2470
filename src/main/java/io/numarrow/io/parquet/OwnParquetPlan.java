package io.numarrow.io.parquet;

import io.numarrow.tensor.TensorColumns;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Whether numarrow's own reader ({@link OwnParquetReader}) can read a set of Parquet files, decided
 * from their footers before any data is read: every file with the same top-level columns, the
 * features column a 3-level {@code LIST} of {@code FLOAT}, every other column one INT32, INT64,
 * FLOAT, DOUBLE or UTF-8 string per row, every chunk in this file, unencrypted, in PLAIN or
 * dictionary encoding, uncompressed, Snappy or ZSTD. Anything else is left to DuckDB ({@link #of}
 * returns null), and so is every bad-input case DuckDB already names (a missing column, another
 * type, files that differ).
 */
record OwnParquetPlan(List<Path> files, List<MemorySegment> mapped, List<ParquetFooter> footers, Arena arena,
                      Schema schema, List<Column> columns, int features, int d, boolean dFromFirstRow, long rows) {

    /**
     * A top-level column: its leaf's index among a row group's chunks, its levels and what it
     * becomes in Arrow.
     *
     * @param listDef the features column's definition level of a present, empty list (below it: a null row)
     * @param width a flat column's value bytes (0 for strings); -1 for the features column
     */
    record Column(String name, int leaf, int maxDef, int listDef, int width, ArrowType arrow) {
    }

    /** The plan, or null when a file needs DuckDB; the arena (the files' mappings) is then closed. */
    static OwnParquetPlan of(List<Path> files, String column, String description) {
        return of(files, null, column, description);
    }

    /**
     * The plan for byte ranges of files, as a Spark task is handed them: of file {@code i} only the row
     * groups whose midpoint lies in {@code [starts[i], ends[i])} ({@link ParquetFooter#within}); null
     * where another reader must read them.
     *
     * @param ranges {@code {starts, ends}}, one entry per file (a file may come twice, with other ranges);
     *               null for whole files
     */
    static OwnParquetPlan of(List<Path> files, long[][] ranges, String column, String description) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return null;
        }
        Arena arena = Arena.ofShared();
        try {
            List<MemorySegment> mapped = new ArrayList<>();
            List<ParquetFooter> footers = new ArrayList<>();
            List<Column> columns = null;
            long rows = 0;
            for (int i = 0; i < files.size(); i++) {
                MemorySegment m;
                try (FileChannel ch = FileChannel.open(files.get(i), StandardOpenOption.READ)) {
                    m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                }
                ParquetFooter footer = ParquetFooter.read(m);
                if (ranges != null) {
                    footer = footer.within(ranges[0][i], ranges[1][i]);
                }
                List<Column> these = columns(footer, column);
                if (these == null || columns != null && !columns.equals(these)) {
                    arena.close();
                    return null;
                }
                columns = these;
                mapped.add(m);
                footers.add(footer);
                rows += footer.rows();
            }
            if (columns == null) {
                arena.close();
                return null; // no files
            }
            int features = -1;
            for (int c = 0; c < columns.size(); c++) {
                if (columns.get(c).width() < 0 && columns.get(c).name().equals(column)) {
                    features = c;
                }
            }
            if (features < 0) {
                arena.close();
                return null;
            }
            Field stored = storedField(footers.get(0), column);
            if (stored != null) {
                TensorColumns.checkStoredInLogicalOrder(stored.getType(), column, description);
            }
            int d = fixedSize(stored);
            boolean fromFirstRow = d < 0;
            if (fromFirstRow) {
                d = FirstRow.length(mapped, footers, columns.get(features));
                if (d < 1) {
                    arena.close();
                    return null; // no non-null row, or an empty first row: DuckDB's messages
                }
            }
            List<Field> fields = new ArrayList<>();
            for (Column c : columns) {
                if (c.width() < 0) {
                    fields.add(new Field(c.name(), FieldType.nullable(new ArrowType.FixedSizeList(d)),
                            List.of(Field.nullable("", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)))));
                } else {
                    fields.add(Field.nullable(c.name(), c.arrow()));
                }
            }
            return new OwnParquetPlan(List.copyOf(files), mapped, footers, arena, new Schema(fields), columns, features, d,
                    fromFirstRow, rows);
        } catch (IOException | CorruptParquetException | IndexOutOfBoundsException | UnsupportedParquetException e) {
            arena.close();
            return null; // DuckDB reads it, or names what is wrong with it
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The top-level columns, or null when one of them is beyond this reader. */
    private static List<Column> columns(ParquetFooter footer, String featureName) {
        List<ParquetFooter.SchemaNode> s = footer.schema();
        int top = s.get(0).children();
        List<Column> columns = new ArrayList<>();
        int at = 1;
        int leaf = 0;
        for (int c = 0; c < top; c++) {
            if (at >= s.size()) {
                return null;
            }
            ParquetFooter.SchemaNode node = s.get(at);
            if (node.repetition() == ParquetFooter.REPEATED) {
                return null;
            }
            int def = node.repetition() == ParquetFooter.OPTIONAL ? 1 : 0;
            if (!node.isGroup()) {
                ArrowType arrow = flatType(node);
                if (arrow == null) {
                    return null;
                }
                int width = switch (node.type()) {
                    case ParquetFooter.TYPE_INT32, ParquetFooter.TYPE_FLOAT -> 4;
                    case ParquetFooter.TYPE_INT64, ParquetFooter.TYPE_DOUBLE -> 8;
                    default -> 0;
                };
                columns.add(new Column(node.name(), leaf, def, 0, width, arrow));
                at++;
                leaf++;
                continue;
            }
            // a 3-level LIST of FLOAT: <list> (LIST) { repeated group { FLOAT element } }
            if (!node.name().equals(featureName) || node.children() != 1 || at + 2 >= s.size()
                    || !(node.convertedType() == ParquetFooter.CONVERTED_LIST || node.logicalType() == 3)) {
                return null;
            }
            ParquetFooter.SchemaNode repeated = s.get(at + 1);
            ParquetFooter.SchemaNode element = s.get(at + 2);
            if (!repeated.isGroup() || repeated.repetition() != ParquetFooter.REPEATED || repeated.children() != 1
                    || element.isGroup() || element.type() != ParquetFooter.TYPE_FLOAT
                    || element.repetition() == ParquetFooter.REPEATED || element.convertedType() >= 0
                    || element.logicalType() != 0) {
                return null;
            }
            int maxDef = def + 1 + (element.repetition() == ParquetFooter.OPTIONAL ? 1 : 0);
            columns.add(new Column(node.name(), leaf, maxDef, def, -1, null));
            at += 3;
            leaf++;
        }
        if (at != s.size() || !chunksReadable(footer, columns)) {
            return null;
        }
        return List.copyOf(columns);
    }

    private static ArrowType flatType(ParquetFooter.SchemaNode node) {
        int converted = node.convertedType();
        int logical = node.logicalType();
        return switch (node.type()) {
            case ParquetFooter.TYPE_INT32 -> plainInt(node, 32, ParquetFooter.CONVERTED_INT_32) ? new ArrowType.Int(32, true) : null;
            case ParquetFooter.TYPE_INT64 -> plainInt(node, 64, ParquetFooter.CONVERTED_INT_64) ? new ArrowType.Int(64, true) : null;
            case ParquetFooter.TYPE_FLOAT -> converted < 0 && logical == 0
                    ? new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE) : null;
            case ParquetFooter.TYPE_DOUBLE -> converted < 0 && logical == 0
                    ? new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE) : null;
            // BYTE_ARRAY with UTF8 (converted 0) or STRING (logical field 1)
            case 6 -> (converted == 0 || logical == 1) && (converted < 0 || converted == 0)
                    && (logical == 0 || logical == 1) ? ArrowType.Utf8.INSTANCE : null;
            default -> null;
        };
    }

    private static boolean plainInt(ParquetFooter.SchemaNode node, int bits, int convertedInt) {
        boolean convertedOk = node.convertedType() < 0 || node.convertedType() == convertedInt;
        boolean logicalOk = node.logicalType() == 0 || node.logicalType() == 10 && node.intBits() == bits && node.intSigned();
        return convertedOk && logicalOk;
    }

    private static boolean chunksReadable(ParquetFooter footer, List<Column> columns) {
        for (ParquetFooter.RowGroup g : footer.rowGroups()) {
            if (g.chunks().size() != columns.size()) {
                return false;
            }
            for (ParquetFooter.Chunk c : g.chunks()) {
                if (c.elsewhere() || !Encodings.isKnownCodec(c.codec())
                        || !c.encodings().stream().allMatch(Encodings::isKnownEncoding)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Field storedField(ParquetFooter footer, String column) {
        String value = footer.metadata().get(ArrowSchemaMetadata.KEY);
        if (value == null) {
            return null;
        }
        Schema schema = ArrowSchemaMetadata.decode(value);
        return schema == null ? null : schema.getFields().stream().filter(f -> f.getName().equals(column)).findFirst().orElse(null);
    }

    private static int fixedSize(Field stored) {
        ArrowType type = stored == null ? null : stored.getType();
        if (type instanceof ArrowType.ExtensionType ext) {
            type = ext.storageType();
        }
        return type instanceof ArrowType.FixedSizeList list ? list.getListSize() : -1;
    }

    /** The length of the first non-null features row, or -1 when no row is non-null. */
    private static final class FirstRow {
        static int length(List<MemorySegment> mapped, List<ParquetFooter> footers, Column features) {
            for (int f = 0; f < mapped.size(); f++) {
                for (ParquetFooter.RowGroup g : footers.get(f).rowGroups()) {
                    ColumnPages pages = new ColumnPages(mapped.get(f), g.chunks().get(features.leaf()), 1, features.maxDef(), 4);
                    int length = -1;
                    while (pages.next()) {
                        for (int i = 0; i < pages.count; i++) {
                            if (pages.rep[i] == 0) {
                                if (length >= 0) {
                                    return length;
                                }
                                if (pages.def[i] >= features.listDef()) {
                                    length = pages.def[i] > features.listDef() ? 1 : 0;
                                }
                            } else if (length >= 0) {
                                length++;
                            }
                        }
                    }
                    if (length >= 0) {
                        return length;
                    }
                }
            }
            return -1;
        }
    }
}
