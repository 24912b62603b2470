package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import io.numarrow.compute.SyntheticData;
import io.numarrow.io.ArrowFiles;
import io.numarrow.tensor.FixedShapeTensorType;
import io.numarrow.tensor.FixedShapeTensorVector;
import io.numarrow.tensor.TensorColumns;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input: exit status 2, one clear line on stderr, no stack trace, no output file. */
@Timeout(60)
class CliBadInputTest {
    @TempDir
    Path dir;
    Path x;
    Path w;
    Path out;

    @BeforeEach
    void writeGoodInputs() {
        x = dir.resolve("x.arrow");
        w = dir.resolve("w.arrow");
        out = dir.resolve("out.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(x, allocator, 50, 8, 3, 10, 1);
            SyntheticData.writeWeights(w, allocator, 8, 5, 2);
        }
    }

    /** What a run printed and returned. */
    record Run(int status, String stdout, String stderr) {
        /**
         * The lines on stderr, less SLF4J's own notes about the test class path's several providers
         * (printed by whichever test first logs; numarrow's class path has one).
         */
        List<String> errLines() {
            return Arrays.stream(stderr.split("\\R")).filter(l -> !l.isBlank() && !l.startsWith("SLF4J(")).toList();
        }
    }

    static Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int status = Main.run(args);
            return new Run(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private Run compute(Path input, Path weights, String... more) {
        String[] base = {"compute", "--input", input.toString(), "--weights", weights.toString(),
                "--output", out.toString()};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return cli(all);
    }

    /** Asserts the run failed as bad input, saying {@code expected}, and left nothing behind. */
    private void assertBadInput(Run run, String... expected) throws Exception {
        assertEquals(2, run.status(), "exit status; stderr was: " + run.stderr());
        List<String> lines = run.errLines();
        assertEquals(1, lines.size(), "exactly one line on stderr, was:\n" + run.stderr());
        String line = lines.get(0);
        assertTrue(line.startsWith("numarrow: "), line);
        for (String s : expected) {
            assertTrue(line.contains(s), "'" + line + "' should mention '" + s + "'");
        }
        assertFalse(run.stderr().contains("\tat "), "no stack trace without --verbose");
        assertFalse(Files.exists(out), "nothing at the output path");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void missingInputFile() throws Exception {
        assertBadInput(compute(dir.resolve("nope.arrow"), w), "nope.arrow", "no such file");
    }

    @Test
    void missingWeightsFile() throws Exception {
        assertBadInput(compute(x, dir.resolve("nowts.arrow")), "nowts.arrow", "no such file");
    }

    @Test
    void notAnArrowFile() throws Exception {
        Path text = dir.resolve("notes.arrow");
        Files.writeString(text, "id,features\n1,2\n");
        assertBadInput(compute(text, w), "notes.arrow", "not an Arrow IPC file");
    }

    @Test
    void zeroByteFile() throws Exception {
        Path empty = dir.resolve("empty.arrow");
        Files.createFile(empty);
        assertBadInput(compute(empty, w), "empty.arrow", "0 bytes");
    }

    @Test
    void truncatedArrowFile() throws Exception {
        byte[] whole = Files.readAllBytes(x);
        for (int keep : new int[] {10, whole.length / 2, whole.length - 3}) {
            Path cut = dir.resolve("cut.arrow");
            Files.write(cut, Arrays.copyOf(whole, keep));
            assertBadInput(compute(cut, w), "cut.arrow", "truncated");
        }
    }

    @Test
    void noSuchColumnListsTheColumnsThereAre() throws Exception {
        assertBadInput(compute(x, w, "--column", "feats"), "no column 'feats'", "id", "features", "label");
    }

    @Test
    void columnOfTheWrongType() throws Exception {
        assertBadInput(compute(x, w, "--column", "label"), "column 'label'", "expected FixedSizeList<float32>");
        Path doubles = dir.resolve("doubles.arrow");
        try (BufferAllocator allocator = new RootAllocator();
             FixedSizeListVector list = FixedSizeListVector.empty("features", 8, allocator)) {
            list.addOrGetVector(FieldType.nullable(new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)));
            list.allocateNew();
            Float8Vector data = (Float8Vector) list.getDataVector();
            for (int i = 0; i < 16; i++) {
                data.setSafe(i, i);
            }
            data.setValueCount(16);
            list.setNotNull(0);
            list.setNotNull(1);
            list.setValueCount(2);
            ArrowFiles.write(doubles, new VectorSchemaRoot(List.of(list.getField()), List.of(list), 2));
        }
        assertBadInput(compute(doubles, w), "column 'features' is FixedSizeList<float64>[8], expected FixedSizeList<float32>");
    }

    /** A fixed_shape_tensor stored in another order than its logical one (a permutation) is refused; the identity is fine. */
    @Test
    void aPermutedTensorColumnIsRefusedAndTheIdentityIsNot() throws Exception {
        for (int[] permutation : new int[][] {{1, 0}, {0, 1}}) {
            Path tensors = dir.resolve("tensors.arrow");
            FixedShapeTensorType type = new FixedShapeTensorType(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
                    new long[] {2, 4}, null, permutation);
            try (BufferAllocator allocator = new RootAllocator();
                 FixedShapeTensorVector column = (FixedShapeTensorVector) type.getNewVector("features", null, allocator)) {
                TensorColumns.prepare(column, 3);
                ArrowFiles.write(tensors, new VectorSchemaRoot(List.of(column.getField()), List.of(column), 3));
            }
            Run run = compute(tensors, w);
            if (permutation[0] == 1) {
                assertBadInput(run, "tensors.arrow", "column 'features'", "shape [2, 4] with permutation [1, 0]");
            } else {
                assertEquals(0, run.status(), run.stderr());
                Files.delete(out);
            }
        }
    }

    @Test
    void aBigEndianFileWithADictionaryColumnIsRefusedNamingIt() throws Exception {
        Path be = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/interop/big-endian/dictionary-be.arrow");
        assertBadInput(compute(be, w, "--ops", "softmax"), "dictionary-be.arrow", "column 'city'", "big-endian");
    }

    /** An input that already has an 'output' column (an earlier run's output) is told the option, which works. */
    @Test
    void anInputWithAnOutputColumnNamesTheOptionForAnotherName() throws Exception {
        Path first = dir.resolve("first.arrow");
        assertEquals(0, cli("compute", "--input", x.toString(), "--weights", w.toString(), "--output", first.toString(),
                "--quiet").status());
        assertBadInput(compute(first, w), "already has a column named 'output'", "--output-column");
        Run run = compute(first, w, "--output-column", "again", "--quiet");
        assertEquals(0, run.status(), run.stderr());
        try (BufferAllocator allocator = new RootAllocator()) {
            List<double[]> before = Reference.readRows(first, "output", allocator);
            List<double[]> passed = Reference.readRows(out, "output", allocator);
            List<double[]> again = Reference.readRows(out, "again", allocator);
            assertEquals(50, before.size());
            for (int r = 0; r < before.size(); r++) {
                assertTrue(Arrays.equals(before.get(r), passed.get(r)), "row " + r + ": the earlier output passes through");
                assertTrue(Arrays.equals(before.get(r), again.get(r)), "row " + r + ": computed again, the same");
            }
        }
    }

    /** An empty path or name (an unset variable) is said as such, not "numarrow: : is a folder". */
    @Test
    void emptyPathsAndNamesAreSaidToBeEmpty() throws Exception {
        assertBadInput(cli("compute", "--input", x.toString(), "--weights", w.toString(), "--output", ""),
                "numarrow: --output is empty: give the output file's path");
        assertBadInput(compute(Path.of(""), w), "numarrow: --input is empty");
        assertBadInput(cli("compute", "--input", x.toString(), "--weights", "", "--output", out.toString()),
                "numarrow: --weights is empty");
        assertBadInput(compute(x, w, "--output-column", ""), "numarrow: --output-column is empty");
    }

    @Test
    void featuresWidthNotEqualToTheRowsOfW() throws Exception {
        Path w6 = dir.resolve("w6.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeWeights(w6, allocator, 6, 5, 2);
        }
        assertBadInput(compute(x, w6), "d=8", "6 rows", "w6.arrow");
    }

    @Test
    void unknownOp() throws Exception {
        assertBadInput(compute(x, w, "--ops", "matmul,relu"), "unknown op 'relu'");
    }

    @Test
    void outputFolderThatDoesNotExist() throws Exception {
        out = dir.resolve("no/such/folder/out.arrow");
        assertBadInput(compute(x, w), "does not exist");
    }

    @Test
    void badThreadCountAndMissingOptionsAreUsageErrors() throws Exception {
        assertBadInput(compute(x, w, "--threads", "0"), "--threads");
        Run run = cli("compute", "--input", x.toString());
        assertEquals(2, run.status());
        assertTrue(run.stderr().contains("--output"), run.stderr());
    }

    @Test
    void verboseShowsTheStackTrace() {
        Run run = compute(dir.resolve("nope.arrow"), w, "--verbose");
        assertEquals(2, run.status());
        assertTrue(run.stderr().contains("\tat "), run.stderr());
    }

    @Test
    void zeroRowsIsNotBadInput() throws Exception {
        Path none = dir.resolve("none.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(none, allocator, 0, 8, 1, 0, 1);
        }
        Run run = compute(none, w, "--quiet");
        assertEquals(0, run.status(), run.stderr());
        assertTrue(Files.exists(out));
        assertEquals("", run.stdout());
    }

    @Test
    void goodInputSucceedsAndSaysWhereTheOutputWent() {
        Run run = compute(x, w);
        assertEquals(0, run.status(), run.stderr());
        assertTrue(run.stdout().contains("50 rows in 3 batches"), run.stdout());
        assertTrue(Files.exists(out));
    }
}
