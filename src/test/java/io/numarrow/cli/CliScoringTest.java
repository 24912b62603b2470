package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.MatrixFiles;
import io.numarrow.compute.SyntheticData;
import io.numarrow.io.ArrowFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compute} scoring a model: {@code --bias}, {@code .npy} weights, {@code argmax} and
 * {@code --prediction-column}; and each way their input can be wrong, as exit 2 and one line naming
 * the file and the numbers.
 */
@Timeout(60)
class CliScoringTest {
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

    private CliBadInputTest.Run compute(Path weights, String... more) {
        String[] base = {"compute", "--input", x.toString(), "--weights", weights.toString(), "--output", out.toString()};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return CliBadInputTest.cli(all);
    }

    private void assertBadInput(CliBadInputTest.Run run, String... expected) {
        assertEquals(2, run.status(), "exit status; stderr was: " + run.stderr());
        List<String> lines = run.errLines();
        assertEquals(1, lines.size(), "exactly one line on stderr, was:\n" + run.stderr());
        for (String s : expected) {
            assertTrue(lines.get(0).contains(s), "'" + lines.get(0) + "' should mention '" + s + "'");
        }
        assertFalse(Files.exists(out), "nothing at the output path");
    }

    @Test
    void npyWeightsBiasAndBothColumns() throws Exception {
        float[] wv = new float[8 * 5];
        for (int i = 0; i < wv.length; i++) {
            wv[i] = (i % 7) / 7f - 0.5f;
        }
        Path npy = MatrixFiles.writeNpy(dir.resolve("w.npy"), "(8, 5)", wv);
        Path bias = MatrixFiles.writeNpy(dir.resolve("b.npy"), "(5,)", new float[] {0, 1, 2, 3, 4});
        CliBadInputTest.Run run = compute(npy, "--bias", bias.toString(), "--ops", "matmul,softmax,argmax",
                "--prediction-column", "label_id");
        assertEquals(0, run.status(), run.stderr());
        try (BufferAllocator allocator = new RootAllocator(); ArrowReader reader = ArrowFiles.read(out, allocator)) {
            assertEquals(List.of("id", "features", "label", "output", "label_id"),
                    reader.getVectorSchemaRoot().getSchema().getFields().stream().map(Field::getName).toList());
        }
    }

    @Test
    void biasOfTheWrongLength() {
        Path bias = MatrixFiles.writeNpy(dir.resolve("b.npy"), "(4,)", new float[4]);
        assertBadInput(compute(w, "--bias", bias.toString()), "b.npy", "4 values", "8×5", "h=5");
    }

    @Test
    void biasWithoutMatmul() {
        Path bias = MatrixFiles.writeNpy(dir.resolve("b.npy"), "(8,)", new float[8]);
        assertBadInput(compute(w, "--ops", "softmax", "--bias", bias.toString()), "bias", "softmax");
    }

    @Test
    void npyOfAnotherDtypeRankShapeOrTruncated() throws Exception {
        assertBadInput(compute(Path.of("data/interop/npy/w-i4.npy")), "w-i4.npy", "'<i4'", "float32 or float64");
        assertBadInput(compute(Path.of("data/interop/npy/w-rank3.npy")), "w-rank3.npy", "(5, 3, 1)");
        assertBadInput(compute(Path.of("data/interop/npy/w-f4.npy")), "shapes do not fit", "d=8", "5 rows");
        byte[] whole = Files.readAllBytes(MatrixFiles.writeNpy(dir.resolve("w.npy"), "(8, 5)", new float[40]));
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 7));
        assertBadInput(compute(cut), "cut.npy", "truncated", "160 bytes", "holds 153");
    }

    @Test
    void nanInTheWeightsIsRefused() {
        float[] wv = new float[40];
        wv[13] = Float.NaN;
        Path npy = MatrixFiles.writeNpy(dir.resolve("w.npy"), "(8, 5)", wv);
        assertBadInput(compute(npy), "w.npy", "1 value", "NaN", "row 2, column 3");
    }

    @Test
    void argmaxAloneIsNotAnOpSequence() {
        assertBadInput(compute(w, "--ops", "argmax"), "unsupported op sequence 'argmax'", "matmul,softmax,argmax");
    }
}
