package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import io.numarrow.MatrixFiles;
import io.numarrow.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weights and biases from numpy's {@code .npy} files: the files numpy itself wrote
 * ({@code data/interop/npy}, by {@code tools/interop/make-npy-fixture.py}) in every layout, read to the
 * exact values; and every way a file can be wrong, each refused with one message naming the file and
 * the numbers.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NpyFileTest {
    private static final Path FIXTURES = Path.of("data/interop/npy");
    @TempDir
    Path dir;
    private BufferAllocator allocator;

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    /** Float32 and float64, C and Fortran order, both byte orders, versions 1.0, 2.0 and 3.0: all read to W. */
    @ParameterizedTest
    @ValueSource(strings = {"w-f4.npy", "w-f8.npy", "w-f4-fortran.npy", "w-f8-fortran.npy", "w-f4-big-endian.npy",
            "w-f4-v2.npy", "w-f4-v3.npy"})
    void numpysOwnFilesReadToTheSameMatrix(String name) {
        Path file = FIXTURES.resolve(name);
        assertTrue(NpyFile.isNpy(file), name);
        try (Tensor w = WeightsFile.load(file, allocator)) {
            assertEquals(5, w.rows(), name);
            assertEquals(3, w.cols(), name);
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals((i * 3 + j) / 8f - 1, w.get(i, j), 0f, name + " at " + i + "," + j);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"b-f4.npy", "b-f8.npy"})
    void biasOfShapeH(String name) {
        try (Tensor b = WeightsFile.loadBias(FIXTURES.resolve(name), allocator)) {
            assertEquals(1, b.rows());
            assertEquals(3, b.cols());
            for (int j = 0; j < 3; j++) {
                assertEquals(j / 4f - 0.5f, b.get(0, j), 0f, name + " at " + j);
            }
        }
    }

    /** Float64 values are rounded to the nearest float32, as {@code W.astype(np.float32)} would. */
    @Test
    void float64IsRoundedToNearest() {
        double[] values = {0.1, -1e-3, 1 / 3.0, 123456.789, Math.PI};
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.BIG_ENDIAN);
        for (double v : values) {
            data.putDouble(v);
        }
        Path file = MatrixFiles.writeNpy(dir.resolve("w.npy"), 2,
                "{'descr': '>f8', 'fortran_order': True, 'shape': (1, 5), }", data.array());
        try (Tensor w = WeightsFile.load(file, allocator)) {
            for (int j = 0; j < values.length; j++) {
                assertEquals((float) values[j], w.get(0, j), 0f, "value " + j);
            }
        }
    }

    /** A Fortran-order array is column-major: element (i, j) sits at j·rows + i. */
    @Test
    void fortranOrderOfAnOddShape() {
        int rows = 17, cols = 3;
        float[] columnMajor = new float[rows * cols];
        for (int j = 0; j < cols; j++) {
            for (int i = 0; i < rows; i++) {
                columnMajor[j * rows + i] = i * 100 + j;
            }
        }
        ByteBuffer data = ByteBuffer.allocate(columnMajor.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : columnMajor) {
            data.putFloat(v);
        }
        Path file = MatrixFiles.writeNpy(dir.resolve("w.npy"), 3,
                "{\"shape\": (17L, 3L), \"fortran_order\": True, \"descr\": \"<f4\"}", data.array());
        try (Tensor w = WeightsFile.load(file, allocator)) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(i * 100 + j, w.get(i, j), 0f, i + "," + j);
                }
            }
        }
    }

    @Test
    void anotherDtypeIsRefusedByName() {
        assertRefused(() -> WeightsFile.load(FIXTURES.resolve("w-i4.npy"), allocator), "w-i4.npy", "'<i4'", "float32");
        Path half = MatrixFiles.writeNpy(dir.resolve("half.npy"), 1,
                "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", new byte[8]);
        assertRefused(() -> WeightsFile.load(half, allocator), "half.npy", "'<f2'");
        Path structured = MatrixFiles.writeNpy(dir.resolve("rec.npy"), 1,
                "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (2,), }", new byte[16]);
        assertRefused(() -> WeightsFile.load(structured, allocator), "rec.npy", "[('a', '<f4'), ('b', '<f4')]", "structured");
    }

    @Test
    void anotherRankIsRefusedWithTheShape() {
        assertRefused(() -> WeightsFile.load(FIXTURES.resolve("w-rank3.npy"), allocator), "w-rank3.npy", "(5, 3, 1)",
                "3 dimensions", "(d, h)");
        assertRefused(() -> WeightsFile.load(FIXTURES.resolve("b-f4.npy"), allocator), "b-f4.npy", "(3,)", "1 dimensions");
        assertRefused(() -> WeightsFile.loadBias(FIXTURES.resolve("w-f4.npy"), allocator), "w-f4.npy", "(5, 3)", "(h,)");
        Path empty = MatrixFiles.writeNpy(dir.resolve("empty.npy"), "(0, 4)", new float[0]);
        assertRefused(() -> WeightsFile.load(empty, allocator), "empty.npy", "(0, 4)", "no values");
    }

    @Test
    void truncatedFilesSayHowManyBytesAreMissing() throws Exception {
        byte[] whole = Files.readAllBytes(FIXTURES.resolve("w-f4.npy"));
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 4)); // the header is 128 bytes, the data 60
        assertRefused(() -> WeightsFile.load(cut, allocator), "cut.npy", "truncated", "(5, 3)", "60 bytes", "holds 56");
        Path noHeader = dir.resolve("no-header.npy");
        Files.write(noHeader, Arrays.copyOf(whole, 40));
        assertRefused(() -> WeightsFile.load(noHeader, allocator), "no-header.npy", "truncated", "118 bytes", "holds 30");
        Path magicOnly = dir.resolve("magic.npy");
        Files.write(magicOnly, Arrays.copyOf(whole, 9));
        assertRefused(() -> WeightsFile.load(magicOnly, allocator), "magic.npy", "truncated", "9 bytes");
    }

    @Test
    void badHeadersAreRefused() {
        Path v4 = MatrixFiles.writeNpy(dir.resolve("v4.npy"), 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
                new byte[4]);
        assertRefused(() -> WeightsFile.load(v4, allocator), "v4.npy", "version 4.0", "1.0, 2.0 and 3.0");
        Path extraKey = MatrixFiles.writeNpy(dir.resolve("key.npy"), 1,
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': True}", new byte[4]);
        assertRefused(() -> WeightsFile.load(extraKey, allocator), "key.npy", "keys", "descr, fortran_order and shape");
        Path garbage = MatrixFiles.writeNpy(dir.resolve("garbage.npy"), 1, "{'descr': '<f4', 'shape': (1, x)}", new byte[4]);
        assertRefused(() -> WeightsFile.load(garbage, allocator), "garbage.npy", "not a dict", "dimension");
        Path notBool = MatrixFiles.writeNpy(dir.resolve("bool.npy"), 1,
                "{'descr': '<f4', 'fortran_order': 'no', 'shape': (1, 1), }", new byte[4]);
        assertRefused(() -> WeightsFile.load(notBool, allocator), "bool.npy", "fortran_order", "True or False");
    }

    /** A NaN or an infinity in the weights or the bias is refused, naming how many and where the first is. */
    @Test
    void nonFiniteWeightsAreRefused() {
        float[] w = new float[12];
        w[7] = Float.NaN;
        w[9] = Float.POSITIVE_INFINITY;
        Path npy = MatrixFiles.writeNpy(dir.resolve("nan.npy"), "(4, 3)", w);
        assertRefused(() -> WeightsFile.load(npy, allocator), "nan.npy", "2 values", "NaN or infinite", "row 2, column 1");
        Path arrow = MatrixFiles.writeArrow(dir.resolve("nan.arrow"), allocator, 4, 3, w);
        assertRefused(() -> WeightsFile.load(arrow, allocator), "nan.arrow", "2 values", "row 2, column 1");
        Path bias = MatrixFiles.writeNpy(dir.resolve("bias.npy"), "(3,)", new float[] {0, Float.NEGATIVE_INFINITY, 1});
        assertRefused(() -> WeightsFile.loadBias(bias, allocator), "bias.npy", "bias holds 1 value", "-Infinity", "column 1");
    }

    @Test
    void arrowBiasHasOneRow() {
        Path two = MatrixFiles.writeArrow(dir.resolve("b2.arrow"), allocator, 2, 3, new float[6]);
        assertRefused(() -> WeightsFile.loadBias(two, allocator), "b2.arrow", "2 rows of 3 values", "one row");
        Path one = MatrixFiles.writeArrow(dir.resolve("b1.arrow"), allocator, 1, 3, new float[] {1, 2, 3});
        try (Tensor b = WeightsFile.loadBias(one, allocator)) {
            assertEquals(3, b.cols());
            assertEquals(2f, b.get(0, 1));
        }
    }

    private void assertRefused(Runnable load, String... expected) {
        BadInputException e = assertThrows(BadInputException.class, load::run);
        String m = e.getMessage();
        assertTrue(!m.contains("\n"), "one line: " + m);
        for (String x : expected) {
            assertTrue(m.contains(x), "'" + x + "' in: " + m);
        }
        assertEquals(0, allocator.getAllocatedMemory(), "nothing left allocated after: " + m);
    }
}
