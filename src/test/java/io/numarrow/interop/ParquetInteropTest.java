package io.numarrow.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.numarrow.Reference;
import io.numarrow.cli.Main;
import io.numarrow.io.BatchSource;
import io.numarrow.io.Formats;
import io.numarrow.io.InputBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.IntVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code compute} on Parquet files written by arrow-rs (tools/interop/make-parquet-fixture.mjs):
 * a FixedSizeList column known from the ARROW:schema metadata, a plain list of float, a folder and a
 * glob of two files, row groups of 16 rows and null rows, against the float64 softmax(X·W) the same
 * script computed; and numarrow's Parquet output read back by arrow-rs.
 */
@Timeout(180)
class ParquetInteropTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", "."));
    private static final Path FIXTURES = REPO.resolve("data/interop/parquet");
    private static final int ROWS = 61;
    private static final int NULL_ROWS = 12; // every fifth row from 3

    @ParameterizedTest
    @ValueSource(strings = {"fsl.parquet", "list.parquet", "parts", "parts/part-*.parquet"})
    void computeMatchesTheFloat64Reference(String input, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.arrow");
        assertEquals(0, compute(FIXTURES.resolve(input), out));
        try (BufferAllocator allocator = new RootAllocator()) {
            assertMatchesReference(Reference.readRows(out, "output", allocator), input);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"snappy", "zstd"})
    void parquetOutputHasTheSameValuesAndPassesColumnsThrough(String compression, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.parquet");
        assertEquals(0, compute(FIXTURES.resolve("fsl.parquet"), out, "--compression", compression));
        try (BufferAllocator allocator = new RootAllocator()) {
            List<Integer> ids = new ArrayList<>();
            assertMatchesReference(readParquetRows(out, "output", ids, allocator), out.toString());
            for (int i = 0; i < ROWS; i++) {
                assertEquals(i, ids.get(i), "row_id passes through in order");
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "only the output is left in the folder");
        }
    }

    @Test
    void formatOverridesWinOverTheNames(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("features.bin");
        Files.copy(FIXTURES.resolve("fsl.parquet"), copy);
        Path out = dir.resolve("result.bin");
        assertEquals(0, compute(copy, out, "--input-format", "parquet", "--output-format", "parquet"));
        assertTrue(new String(Files.readAllBytes(out), 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("PAR1"),
                "--output-format parquet writes Parquet whatever the name");
    }

    /**
     * DuckDB's {@code FLOAT[d]} array type, as DuckDB writes it to Parquet (a list of float, no Arrow
     * schema), 1000 rows in one file with null rows; softmax(X·W) against a float64 reference.
     */
    @Test
    void duckDbFloatArrayColumn(@TempDir Path dir) throws Exception {
        Path x = dir.resolve("duck.parquet");
        Path w = dir.resolve("w.arrow");
        int d = 5;
        int h = 3;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:");
             java.sql.Statement s = c.createStatement()) {
            s.execute("COPY (SELECT i::INTEGER AS row_id, CASE WHEN i % 7 = 3 THEN NULL ELSE"
                    + " list_transform(range(" + d + "), lambda k: sin(i * 0.37 + k))::FLOAT[" + d + "] END AS features"
                    + " FROM range(1000) t(i)) TO '" + x + "' (FORMAT parquet)");
        }
        try (BufferAllocator allocator = new RootAllocator()) {
            io.numarrow.compute.SyntheticData.writeWeights(w, allocator, d, h, 9);
            Path out = dir.resolve("out.arrow");
            assertEquals(0, Main.run("compute", "--input", x.toString(), "--weights", w.toString(),
                    "--output", out.toString(), "--quiet"));
            List<double[]> weights = Reference.readRows(w, "weights", allocator);
            List<double[]> actual = Reference.readRows(out, "output", allocator);
            assertEquals(1000, actual.size());
            for (int i = 0; i < 1000; i++) {
                if (i % 7 == 3) {
                    assertNull(actual.get(i), "row " + i + " is null in the input");
                    continue;
                }
                double[] row = new double[d];
                for (int k = 0; k < d; k++) {
                    row[k] = (float) Math.sin(i * 0.37 + k);
                }
                Reference.assertClose(Reference.softmaxRow(Reference.matmulRow(row, weights)), actual.get(i),
                        1e-5, 1e-4, "DuckDB FLOAT[5] row " + i);
            }
        }
    }

    /** {@code gen --format parquet} writes the same rows as the Arrow file: compute gives the same output. */
    @Test
    void genParquetGivesTheSameRowsAsGenArrow(@TempDir Path dir) throws Exception {
        for (String format : List.of("arrow", "parquet")) {
            assertEquals(0, Main.run("gen", "--out-dir", dir.toString(), "--rows", "3000", "--dim", "16", "--hidden", "8",
                    "--batches", "3", "--null-every", "97", "--format", format, "--quiet"));
            assertEquals(0, Main.run("compute", "--input", dir.resolve("batch." + format).toString(),
                    "--weights", dir.resolve("weights.arrow").toString(),
                    "--output", dir.resolve("out-" + format + ".arrow").toString(), "--quiet"));
        }
        try (BufferAllocator allocator = new RootAllocator()) {
            List<double[]> fromArrow = Reference.readRows(dir.resolve("out-arrow.arrow"), "output", allocator);
            List<double[]> fromParquet = Reference.readRows(dir.resolve("out-parquet.arrow"), "output", allocator);
            assertEquals(3000, fromParquet.size());
            int nulls = 0;
            for (int r = 0; r < fromArrow.size(); r++) {
                if (fromArrow.get(r) == null) {
                    assertNull(fromParquet.get(r), "row " + r);
                    nulls++;
                } else {
                    Reference.assertClose(fromArrow.get(r), fromParquet.get(r), 1e-6, 1e-5, "row " + r);
                }
            }
            assertEquals(3000 / 97, nulls);
        }
    }

    /** numarrow's Parquet output read by arrow-rs (parquet-wasm in Node.js): types, tags and values. */
    @Test
    void parquetOutputReadsBackInArrowRs(@TempDir Path dir) throws Exception {
        NodeTools.installed(); // skips here, before computing, where Node.js is missing
        Path out = dir.resolve("out.parquet");
        assertEquals(0, compute(FIXTURES.resolve("list.parquet"), out));
        JsonNode read = NodeTools.readTable("read-parquet.mjs", out, dir.resolve("read.json"), "row_id", "output");
        JsonNode output = null;
        for (JsonNode f : read.get("fields")) {
            if (f.get("name").asText().equals("output")) {
                output = f;
            } else if (f.get("name").asText().equals("features")) {
                assertEquals("FixedSizeList[12]<Float32>", f.get("type").asText(), "the features column as arrow-rs reads it");
            }
        }
        assertEquals("FixedSizeList[7]<Float32>", output.get("type").asText());
        assertEquals("arrow.fixed_shape_tensor", output.get("metadata").get("ARROW:extension:name").asText());
        assertEquals("{\"shape\":[7]}", output.get("metadata").get("ARROW:extension:metadata").asText());
        List<double[]> rows = new ArrayList<>();
        for (JsonNode row : read.get("columns").get("output")) {
            if (row.isNull()) {
                rows.add(null);
                continue;
            }
            double[] v = new double[row.size()];
            for (int j = 0; j < v.length; j++) {
                v[j] = row.get(j).asDouble();
            }
            rows.add(v);
        }
        assertMatchesReference(rows, "arrow-rs reading " + out);
        JsonNode ids = read.get("columns").get("row_id");
        for (int i = 0; i < ROWS; i++) {
            assertEquals(i, ids.get(i).asInt());
        }
    }

    static int compute(Path input, Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("compute", "--input", input.toString(),
                "--weights", FIXTURES.resolve("weights.arrow").toString(), "--output", out.toString(),
                "--ops", "matmul,softmax", "--quiet"));
        args.addAll(List.of(more));
        return Main.run(args.toArray(String[]::new));
    }

    private static void assertMatchesReference(List<double[]> actual, String where) throws Exception {
        JsonNode expected = new ObjectMapper().readTree(FIXTURES.resolve("expected.json").toFile()).get("rows");
        assertEquals(ROWS, expected.size());
        assertEquals(ROWS, actual.size(), where + ": rows");
        int nulls = 0;
        for (int r = 0; r < ROWS; r++) {
            JsonNode row = expected.get(r);
            if (row.isNull()) {
                assertNull(actual.get(r), where + ": row " + r + " is null in the input");
                nulls++;
                continue;
            }
            double[] want = new double[row.size()];
            for (int j = 0; j < want.length; j++) {
                want[j] = row.get(j).asDouble();
            }
            Reference.assertClose(want, actual.get(r), 1e-5, 1e-4, where + " row " + r);
        }
        assertEquals(NULL_ROWS, nulls);
    }

    /** The rows of a float list column of a Parquet file, read back through numarrow's own Parquet source. */
    static List<double[]> readParquetRows(Path file, String column, List<Integer> ids, BufferAllocator allocator)
            throws Exception {
        List<double[]> rows = new ArrayList<>();
        try (BatchSource source = Formats.openSource(file, Formats.Format.PARQUET, column, allocator)) {
            for (InputBatch next = source.next(); next != null; next = source.next()) {
                try (InputBatch b = next) {
                    IntVector id = (IntVector) b.root().getVector("row_id");
                    for (int r = 0; r < b.root().getRowCount(); r++) {
                        ids.add(id.get(r));
                    }
                    Reference.addRows(b.root(), column, file.toString(), rows);
                }
            }
        }
        return rows;
    }
}
