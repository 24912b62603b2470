package io.numarrow.io.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.LeakCheckedAllocator;
import io.numarrow.io.InputBatch;
import io.numarrow.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * numarrow's own Parquet reader against DuckDB's reading of the same files (schema, batch sizes, every
 * buffer's bits up to the row count) and against the float64 values the files were written from:
 * files of DuckDB (plain and dictionary values, uncompressed, Snappy and ZSTD, data pages v1 and v2,
 * null rows, null features columns, 1, 17 and 4001 rows in several row groups and pages) and of
 * arrow-rs (the interop fixtures); what it leaves to DuckDB; and a corrupt page.
 */
@Timeout(120)
class OwnParquetReaderTest {
    private static final Path FIXTURES = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/interop/parquet");

    @RegisterExtension
    final LeakCheckedAllocator allocator = new LeakCheckedAllocator();

    @TempDir
    Path dir;

    private static void duckDb(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A value of row i, position k: from a small set when {@code dictionary}, so that writers choose a dictionary. */
    private static double value(long i, int k, boolean dictionary) {
        return dictionary ? ((i * 7 + k * 3) % 11) * 0.25 - 1 : Math.sin(i * 0.37 + k * 1.1);
    }

    private static String valueSql(boolean dictionary) {
        return dictionary ? "((i * 7 + k * 3) % 11) * 0.25 - 1" : "sin(i * 0.37 + k * 1.1)";
    }

    private Path write(int rows, int d, String codec, boolean dictionary, int nullEvery, int rowGroup, String version)
            throws Exception {
        Path file = dir.resolve("x-" + rows + "-" + codec + "-" + dictionary + "-" + version + ".parquet");
        String nulls = nullEvery > 0 ? "CASE WHEN i % " + nullEvery + " = 3 THEN NULL ELSE " : "";
        // DuckDB's v2 files store BIGINT, strings and DOUBLE in the DELTA and BYTE_STREAM_SPLIT encodings, left to DuckDB
        String others = version.equals("V2") ? "" : "i::BIGINT AS id, CASE WHEN i % 5 = 1 THEN NULL ELSE 'row ' || i END AS label,"
                + " (i * 0.5)::DOUBLE AS half, ";
        duckDb("COPY (SELECT " + others + nulls + "list_transform(range(" + d + "), lambda k: "
                + valueSql(dictionary) + ")::FLOAT[" + d + "]" + (nullEvery > 0 ? " END" : "") + " AS features,"
                + " (i % 3)::INTEGER AS small"
                + " FROM range(" + rows + ") t(i)) TO '" + file + "' (FORMAT parquet, COMPRESSION " + codec
                + ", ROW_GROUP_SIZE " + rowGroup + ", PARQUET_VERSION " + version + ")");
        return file;
    }

    @ParameterizedTest
    @CsvSource({
        "1, 8, uncompressed, false, 0, 1000, V1",
        "17, 5, snappy, false, 4, 1000, V1",
        "4001, 256, snappy, false, 7, 1000, V1",
        "4001, 256, zstd, true, 7, 1000, V1",
        "4001, 33, uncompressed, true, 0, 2048, V2",
        "4001, 256, zstd, true, 9, 100000, V2",
        "70000, 3, snappy, false, 13, 30000, V1",
    })
    void duckDbFilesReadAsDuckDbReadsThem(int rows, int d, String codec, boolean dictionary, int nullEvery, int rowGroup,
                                         String version) throws Exception {
        Path file = write(rows, d, codec, dictionary, nullEvery, rowGroup, version);
        ParquetFooter footer = footerOf(file);
        assertNotNull(plan(file), "numarrow reads it; its chunks: " + footer.rowGroups().get(0).chunks());
        assertSameAsDuckDb(file);
        List<double[]> read = rows(file, true);
        assertEquals(rows, read.size());
        for (int i = 0; i < rows; i++) {
            if (nullEvery > 0 && i % nullEvery == 3) {
                assertNull(read.get(i), "row " + i + " is null in the file");
                continue;
            }
            double[] want = new double[d];
            for (int k = 0; k < d; k++) {
                want[k] = (float) value(i, k, dictionary);
            }
            // DuckDB computes the sines from exact decimals: within a float's rounding of Java's
            assertArrayEquals(want, read.get(i), 1e-6, "row " + i);
        }
    }

    /** arrow-rs' files (parquet-wasm): FixedSizeList with ARROW:schema, a plain list, row groups of 16, null rows, strings. */
    @ParameterizedTest
    @ValueSource(strings = {"fsl.parquet", "list.parquet", "parts", "parts/part-*.parquet"})
    void arrowRsFilesReadAsDuckDbReadsThem(String input) throws Exception {
        assertSameAsDuckDb(FIXTURES.resolve(input));
    }

    /** What the reader does not decode goes to DuckDB, decided from the footer. */
    @Test
    void otherLayoutsAreLeftToDuckDb() throws Exception {
        assertNull(plan(FIXTURES.resolve("float64.parquet")), "a list of DOUBLE");
        Path lz4 = dir.resolve("lz4.parquet");
        duckDb("COPY (SELECT i::INTEGER AS id, [0.5, i]::FLOAT[] AS features FROM range(100) t(i)) TO '" + lz4
                + "' (FORMAT parquet, COMPRESSION lz4)");
        assertNull(plan(lz4), "LZ4");
        Path nested = dir.resolve("nested.parquet");
        duckDb("COPY (SELECT {'a': i} AS s, [0.5, i]::FLOAT[] AS features FROM range(100) t(i)) TO '" + nested
                + "' (FORMAT parquet)");
        assertNull(plan(nested), "a struct column");
        Path delta = dir.resolve("delta.parquet");
        duckDb("COPY (SELECT i::BIGINT AS id, [0.5, i]::FLOAT[] AS features FROM range(3000) t(i)) TO '" + delta
                + "' (FORMAT parquet, PARQUET_VERSION V2)");
        // DuckDB's v2 files use DELTA_BINARY_PACKED for integers: left to DuckDB, read all the same
        ParquetFooter footer = footerOf(delta);
        boolean deltaUsed = footer.rowGroups().get(0).chunks().get(0).encodings().stream().anyMatch(e -> e == 5);
        assertEquals(deltaUsed, plan(delta) == null, "DELTA_BINARY_PACKED in " + footer.rowGroups().get(0).chunks().get(0));
        try (ParquetBatchSource source = ParquetBatchSource.open(delta, "features", allocator)) {
            long rows = 0;
            for (InputBatch b = source.next(); b != null; b = source.next()) {
                rows += b.root().getRowCount();
            }
            assertEquals(3000, rows);
        }
        Path split = write(100, 4, "snappy", false, 0, 1000, "V2");
        assertTrue(footerOf(split).rowGroups().get(0).chunks().get(0).encodings().contains(9), "BYTE_STREAM_SPLIT features");
        assertNull(plan(split), "BYTE_STREAM_SPLIT");
        Path plain = write(17, 4, "snappy", false, 0, 1000, "V1");
        assertNotNull(plan(plain), "the common layout is numarrow's to read");
    }

    @Test
    void aNullValueInsideARowIsNamed() throws Exception {
        Path file = dir.resolve("holes.parquet");
        duckDb("COPY (SELECT i::INTEGER AS id, CASE WHEN i = 2500 THEN [0.5, NULL, 0.25]::FLOAT[] ELSE [0.5, 0.125, 0.25]::FLOAT[]"
                + " END AS features FROM range(3000) t(i)) TO '" + file + "' (FORMAT parquet)");
        assertNotNull(plan(file));
        BadInputException e = assertThrows(BadInputException.class, () -> rows(file, true));
        assertTrue(e.getMessage().contains("column 'features' row 2500 (from 0) has a null value at position 1"), e.getMessage());
    }

    @Test
    void aRowOfAnotherLengthIsNamed() throws Exception {
        Path file = dir.resolve("ragged.parquet");
        duckDb("COPY (SELECT i::INTEGER AS id, CASE WHEN i = 70001 THEN [0.5, 0.25]::FLOAT[] ELSE [0.5, 0.125, 0.25]::FLOAT[]"
                + " END AS features FROM range(90000) t(i)) TO '" + file + "' (FORMAT parquet, ROW_GROUP_SIZE 20000)");
        assertNotNull(plan(file));
        BadInputException e = assertThrows(BadInputException.class, () -> rows(file, true));
        assertTrue(e.getMessage().contains(file + ": column 'features' row 70001 (from 0) has 2 values, but d=3"), e.getMessage());
    }

    /** Garbage in a Snappy page's data: one line naming the file, not an exception from deep inside. */
    @Test
    void aCorruptPageIsBadInput() throws Exception {
        Path file = write(4001, 64, "snappy", false, 0, 1000, "V1");
        ParquetFooter footer = footerOf(file);
        ParquetFooter.Chunk chunk = footer.rowGroups().get(footer.rowGroups().size() - 1).chunks().get(1);
        byte[] bytes = Files.readAllBytes(file);
        long from = chunk.dataOffset() + 64;
        for (long p = from; p < from + 2000; p++) {
            bytes[(int) p] = (byte) 0xff;
        }
        Path bad = dir.resolve("bad.parquet");
        Files.write(bad, bytes);
        assertNotNull(plan(bad), "the footer is intact");
        BadInputException e = assertThrows(BadInputException.class, () -> rows(bad, true));
        assertTrue(e.getMessage().startsWith(bad + ": corrupt Parquet file ("), e.getMessage());
    }

    private void assertSameAsDuckDb(Path input) throws Exception {
        assertSameAsDuckDb(input, allocator);
    }

    /** The reader's batches against DuckDB's: the same schema, the same batches, the same bits. */
    static void assertSameAsDuckDb(Path input, org.apache.arrow.memory.BufferAllocator allocator) throws Exception {
        try (ParquetBatchSource own = ParquetBatchSource.open(input, "features", allocator, true);
             ParquetBatchSource duck = ParquetBatchSource.open(input, "features", allocator, false)) {
            assertTrue(own.own, "read by numarrow's own reader");
            assertFalse(duck.own);
            assertEquals(duck.schema(), own.schema());
            assertEquals(duck.totals(), own.totals());
            int batches = 0;
            while (true) {
                InputBatch a = duck.next();
                InputBatch b = own.next();
                if (a == null || b == null) {
                    assertNull(a, "DuckDB has more batches than " + batches);
                    assertNull(b, "numarrow's reader has more batches than " + batches);
                    break;
                }
                assertSameBatch(a.root(), b.root(), input + " batch " + batches);
                batches++;
            }
            assertTrue(batches > 0);
        }
    }

    private static void assertSameBatch(VectorSchemaRoot want, VectorSchemaRoot got, String where) {
        assertEquals(want.getRowCount(), got.getRowCount(), where + ": rows");
        for (int c = 0; c < want.getFieldVectors().size(); c++) {
            FieldVector a = want.getFieldVectors().get(c);
            FieldVector b = got.getFieldVectors().get(c);
            String w = where + " column " + a.getName();
            assertEquals(a.getNullCount(), b.getNullCount(), w + ": nulls");
            for (int r = 0; r < want.getRowCount(); r++) {
                assertEquals(a.isNull(r), b.isNull(r), w + " row " + r + " null");
                if (!a.isNull(r)) {
                    assertEquals(a.getObject(r), b.getObject(r), w + " row " + r);
                }
            }
            if (a instanceof FixedSizeListVector list) {
                Float4Vector va = (Float4Vector) list.getDataVector();
                Float4Vector vb = (Float4Vector) ((FixedSizeListVector) b).getDataVector();
                int d = list.getListSize();
                long n = (long) want.getRowCount() * d;
                assertEquals(va.getNullCount(), vb.getNullCount(), w + ": null values");
                for (int i = 0; i < n; i++) {
                    assertEquals(va.isNull(i), vb.isNull(i), w + " value " + i + " null");
                }
                // a null row's values are DuckDB's leftovers (numarrow's reader writes zeros): compared where not null
                for (int r = 0; r < want.getRowCount(); r++) {
                    if (!list.isNull(r)) {
                        assertEquals(bytes(va.getDataBuffer(), 4L * r * d, 4 * d), bytes(vb.getDataBuffer(), 4L * r * d, 4 * d),
                                w + " row " + r + ": the values' bits");
                    }
                }
            }
        }
    }

    private static ByteBuffer bytes(ArrowBuf buf, long at, int n) {
        return buf.nioBuffer(at, n);
    }

    /** The features rows through {@link ParquetBatchSource#open} (own reader or DuckDB), as doubles (null rows null). */
    private List<double[]> rows(Path input, boolean own) throws Exception {
        List<double[]> rows = new ArrayList<>();
        try (ParquetBatchSource source = ParquetBatchSource.open(input, "features", allocator, own)) {
            assertEquals(own, source.own);
            for (InputBatch b = source.next(); b != null; b = source.next()) {
                Reference.addRows(b.root(), "features", input.toString(), rows);
            }
        }
        return rows;
    }

    static OwnParquetPlan planOf(Path file) {
        return plan(file);
    }

    private static OwnParquetPlan plan(Path file) {
        OwnParquetPlan plan = OwnParquetPlan.of(List.of(file), "features", file.toString());
        if (plan != null) {
            plan.arena().close();
        }
        return plan;
    }

    private static ParquetFooter footerOf(Path file) throws Exception {
        return ParquetFooter.read(java.lang.foreign.MemorySegment.ofArray(Files.readAllBytes(file)));
    }
}
