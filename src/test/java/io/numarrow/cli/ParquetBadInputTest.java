package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.tensor.FixedShapeTensorType;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.util.Base64;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad Parquet input: exit status 2, one line naming the file (and column and row where there is
 * one), no output file and no temporary file, for Arrow IPC and Parquet output alike.
 */
@Timeout(120)
class ParquetBadInputTest {
    private static final Path FIXTURES = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/interop/parquet");

    @TempDir
    Path dir;

    private CliBadInputTest.Run compute(Path input, String output) {
        return CliBadInputTest.cli("compute", "--input", input.toString(), "--weights", FIXTURES.resolve("weights.arrow").toString(),
                "--output", dir.resolve(output).toString());
    }

    /** Runs {@code sql} in a DuckDB of its own (to write a Parquet file). */
    private static void duckDb(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private void assertBadInput(CliBadInputTest.Run run, String... expected) throws Exception {
        assertEquals(2, run.status(), "exit status; stderr was: " + run.stderr());
        List<String> lines = run.errLines();
        assertEquals(1, lines.size(), "exactly one line on stderr, was:\n" + run.stderr());
        for (String s : expected) {
            assertTrue(lines.get(0).contains(s), "'" + lines.get(0) + "' should mention '" + s + "'");
        }
        assertFalse(run.stderr().contains("\tat "), "no stack trace without --verbose");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("out")
                    || p.getFileName().toString().endsWith(".tmp")), "no output and no temporary file left");
        }
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] whole = Files.readAllBytes(FIXTURES.resolve("fsl.parquet"));
        Path cut = dir.resolve("cut.parquet");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        assertBadInput(compute(cut, "out.parquet"), "cut.parquet", "truncated Parquet file");
    }

    @Test
    void corruptFooter() throws Exception {
        byte[] bytes = Files.readAllBytes(FIXTURES.resolve("fsl.parquet"));
        for (int i = bytes.length - 300; i < bytes.length - 8; i++) {
            bytes[i] ^= 0x5a; // the footer's metadata, before its length and the closing PAR1
        }
        Path bad = dir.resolve("bad.parquet");
        Files.write(bad, bytes);
        assertBadInput(compute(bad, "out.arrow"), "bad.parquet", "corrupt Parquet file");
    }

    @Test
    void raggedFeaturesNameTheColumnAndRow() throws Exception {
        assertBadInput(compute(FIXTURES.resolve("ragged.parquet"), "out.parquet"),
                "ragged.parquet", "column 'features' row 21", "has 11 values", "d=12");
    }

    /** The first row sets d when nothing else does: when it is the odd one, it is the row named. */
    @Test
    void aFirstRowOfTheOddLengthIsTheOneNamed() throws Exception {
        Path odd = dir.resolve("odd.parquet");
        duckDb("COPY (SELECT range::INTEGER AS id, CASE WHEN range = 0 THEN list_value(0.5, 0.25, 0.125)::FLOAT[]"
                + " ELSE list_value(0.5, 0.25, 0.125, 0.0625)::FLOAT[] END AS features FROM range(40)) TO '"
                + odd + "' (FORMAT parquet)");
        assertBadInput(compute(odd, "out.arrow"), "odd.parquet", "column 'features' row 0 (from 0)", "has 3 values",
                "most rows have 4");
    }

    /** A fixed_shape_tensor whose permutation is not the identity (in the file's ARROW:schema) is refused. */
    @Test
    void aPermutedTensorColumnIsRefused() throws Exception {
        Schema schema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(32, true)),
                new FixedShapeTensorType(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), new long[] {2, 2},
                        null, new int[] {1, 0}).field("features")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), schema);
        Path permuted = dir.resolve("permuted.parquet");
        duckDb("COPY (SELECT range::INTEGER AS id, list_value(0.5, 0.25, 0.125, 0.0625)::FLOAT[] AS features"
                + " FROM range(10)) TO '" + permuted + "' (FORMAT parquet, KV_METADATA {'ARROW:schema': '"
                + Base64.getEncoder().encodeToString(bytes.toByteArray()) + "'})");
        assertBadInput(compute(permuted, "out.arrow"), "permuted.parquet", "column 'features'", "permutation [1, 0]");
    }

    /** A ragged row far into the file fails after batches were written: still nothing is left. */
    @Test
    void raggedRowAfterTheFirstBatches() throws Exception {
        Path late = dir.resolve("late.parquet");
        duckDb("COPY (SELECT range::INTEGER AS id, CASE WHEN range = 250000 THEN [0.5, 0.25]::FLOAT[]"
                + " ELSE list_value(0.5, 0.25, 0.125, 0.0625, 0.5, 0.25, 0.125, 0.0625, 0.5, 0.25, 0.125, 0.0625)::FLOAT[] END"
                + " AS features FROM range(300000)) TO '" + late + "' (FORMAT parquet)");
        assertBadInput(compute(late, "out.parquet"), "late.parquet", "column 'features' row 250000", "has 2 values");
    }

    @Test
    void wrongTypeNamesTheColumn() throws Exception {
        assertBadInput(compute(FIXTURES.resolve("float64.parquet"), "out.arrow"), "float64.parquet", "column 'features'", "DOUBLE[]");
    }

    @Test
    void missingColumn() throws Exception {
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", FIXTURES.resolve("fsl.parquet").toString(),
                "--weights", FIXTURES.resolve("weights.arrow").toString(), "--output", dir.resolve("out.arrow").toString(),
                "--column", "emb");
        assertBadInput(run, "no column 'emb'", "features FLOAT[]");
    }

    @Test
    void globMatchingNothing() throws Exception {
        assertBadInput(compute(FIXTURES.resolve("nothing-*.parquet"), "out.arrow"), "nothing-*.parquet", "matches no file");
    }

    @Test
    void folderWithoutParquetFiles() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertBadInput(compute(empty, "out.arrow"), "empty", "no *.parquet file");
    }

    @Test
    void filesOfOneGlobWithDifferentSchemas() throws Exception {
        assertBadInput(compute(FIXTURES.resolve("mixed/part-*.parquet"), "out.parquet"),
                "part-0.parquet", "part-1.parquet", "different columns");
    }

    @Test
    void notParquetWhenForced() throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "id,features\n1,2\n");
        CliBadInputTest.Run run = CliBadInputTest.cli("compute", "--input", text.toString(), "--input-format", "parquet",
                "--weights", FIXTURES.resolve("weights.arrow").toString(), "--output", dir.resolve("out.arrow").toString());
        assertBadInput(run, "notes.txt", "not a Parquet file");
    }

    @Test
    void unknownFormatAndCompression() throws Exception {
        assertBadInput(CliBadInputTest.cli("compute", "--input", FIXTURES.resolve("fsl.parquet").toString(),
                "--weights", FIXTURES.resolve("weights.arrow").toString(), "--output", dir.resolve("out.parquet").toString(),
                "--compression", "lz4"), "compression 'lz4'");
        assertBadInput(CliBadInputTest.cli("compute", "--input", FIXTURES.resolve("fsl.parquet").toString(),
                "--weights", FIXTURES.resolve("weights.arrow").toString(), "--output", dir.resolve("out.parquet").toString(),
                "--output-format", "csv"), "format 'csv'");
    }
}
