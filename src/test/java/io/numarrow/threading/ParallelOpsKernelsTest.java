package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import io.numarrow.kernels.Matmul;
import io.numarrow.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ParallelOps} over Arrow tensors on a real pool, against float64 references: shapes small enough
 * to run inline and large enough to be tiled (several tiles, packed B shared, parallel packing).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParallelOpsKernelsTest {
    private BufferAllocator allocator;
    private ThreadPool pool;
    private ParallelOps ops;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).build());
        ops = new ParallelOps(pool);
    }

    @AfterEach
    void tearDown() {
        pool.close();
        allocator.close();
    }

    @Test
    void matmulMatchesReferenceInlineAndTiled() {
        // inline (below PLAIN_SPLIT_MACS: up to 160³, 200×150·150×100), a few tiles with the caller taking
        // one (24×700·700×256: three row groups), more tiles than workers with the caller in a worker's place
        // (the rest)
        int[][] shapes = {{1, 1, 1}, {15, 17, 255}, {64, 64, 64}, {128, 128, 128}, {200, 100, 150}, {24, 256, 700},
                {1000, 17, 255}, {301, 1000, 40}, {255, 300, 1100}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            Random rnd = new Random(m + 31L * n + 17L * k);
            float[] av = random(rnd, m * k);
            float[] bv = random(rnd, k * n);
            try (Tensor a = Tensor.fromArray(allocator, m, k, av);
                 Tensor b = Tensor.fromArray(allocator, k, n, bv);
                 Tensor c = ops.matmul(a, b, allocator)) {
                double[] ref = Reference.matmul(av, bv, null, null, m, n, k, false);
                assertClose(ref, c, k, m + "×" + k + "·" + k + "×" + n);
                // Second call reuses the packed B buffer and scratch; must give the same answer.
                ops.matmulInto(a, b, c);
                assertClose(ref, c, k, "repeat " + m + "×" + k + "·" + k + "×" + n);
                // Called from one of the pool's own workers: tiles onto the pool without waiting on itself.
                pool.submit(() -> ops.matmulInto(a, b, c)).join();
                assertClose(ref, c, k, "from a worker " + m + "×" + k + "·" + k + "×" + n);
            }
        }
    }

    @Test
    void aSmallCallWithPlainWeightsRunsOnTheCallerAloneALargerOneIsSplit() {
        assertTrue(ParallelOps.plainCallOnCaller(128, 128, 128)); // 2 tiles' work, but B would be packed and shipped
        assertTrue(ParallelOps.plainCallOnCaller(160, 160, 160));
        assertTrue(ParallelOps.plainCallOnCaller(64, 64, 64));
        assertFalse(ParallelOps.plainCallOnCaller(192, 192, 192));
        assertFalse(ParallelOps.plainCallOnCaller(24, 256, 700));
        assertFalse(ParallelOps.plainCallOnCaller(1000, 17, 255));
    }

    @Test
    void tilesAreWholeRowBlocksOnlyWhenEveryWorkerGetsEnoughOfThem() {
        int block = Matmul.rowBlock(FloatVector.SPECIES_PREFERRED);
        int group = Matmul.rowGroup(FloatVector.SPECIES_PREFERRED);
        int enough = block * ParallelOps.ROW_BLOCKS_PER_WORKER * pool.size();
        assertEquals(block, ops.tileUnitRows(enough));
        assertEquals(block, ops.tileUnitRows(enough + block - 1));
        assertEquals(group, ops.tileUnitRows(enough - 1));
        assertEquals(group, ops.tileUnitRows(1));
    }

    @Test
    void largeBIsPackedInParallel() {
        int m = 40;
        int n = 1100;
        int k = 1000; // k·n ≥ PARALLEL_PACK_FLOATS
        Random rnd = new Random(11);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        try (Tensor a = Tensor.fromArray(allocator, m, k, av);
             Tensor b = Tensor.fromArray(allocator, k, n, bv);
             Tensor c = ops.matmul(a, b, allocator)) {
            assertTrue((long) k * n >= ParallelOps.PARALLEL_PACK_FLOATS);
            assertClose(Reference.matmul(av, bv, null, null, m, n, k, false), c, k, "large B");
        }
    }

    @Test
    void gemmWithTransposedBBiasAndAccumulate() {
        int m = 500;
        int n = 130;
        int k = 90;
        Random rnd = new Random(5);
        float[] av = random(rnd, m * k);
        float[] btv = random(rnd, n * k);
        float[] biasv = random(rnd, n);
        float[] c0 = random(rnd, m * n);
        try (Tensor a = Tensor.fromArray(allocator, m, k, av);
             Tensor bt = Tensor.fromArray(allocator, n, k, btv);
             Tensor bias = Tensor.fromArray(allocator, 1, n, biasv);
             Tensor c = Tensor.fromArray(allocator, m, n, c0)) {
            ops.gemmInto(a, bt, true, bias, true, c);
            assertClose(Reference.matmul(av, btv, biasv, c0, m, n, k, true), c, k, "A·Bᵀ + bias + C");
        }
    }

    @Test
    void fusedMatmulSoftmaxMatchesReference() {
        int m = 1000;
        int n = 70;
        int k = 64;
        Random rnd = new Random(8);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        try (Tensor a = Tensor.fromArray(allocator, m, k, av);
             Tensor b = Tensor.fromArray(allocator, k, n, bv);
             Tensor y = ops.matmulSoftmax(a, b, allocator)) {
            double[] logits = Reference.matmul(av, bv, null, null, m, n, k, false);
            for (int i = 0; i < m; i++) {
                double[] p = softmaxRow(logits, i, n);
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    assertEquals(p[j], y.get(i, j), 2e-6, "row " + i + " col " + j);
                    sum += y.get(i, j);
                }
                assertEquals(1.0, sum, 1e-6, "row " + i);
            }
        }
    }

    @Test
    void softmaxTiledInPlaceMatchesReference() {
        int rows = 300;
        int cols = 1000;
        Random rnd = new Random(2);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat() * 40 - 20;
        }
        x[17 * cols + 3] = Float.NaN;
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        try (Tensor t = Tensor.fromArray(allocator, rows, cols, x)) {
            ops.softmaxInto(t, t);
            for (int r = 0; r < rows; r++) {
                double[] p = softmaxRow(xd, r, cols);
                for (int j = 0; j < cols; j++) {
                    if (r == 17) {
                        assertTrue(Float.isNaN(t.get(r, j)), "NaN row stays NaN at " + j);
                    } else {
                        assertEquals(p[j], t.get(r, j), 1e-6, "row " + r + " col " + j);
                    }
                }
            }
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (Tensor a = Tensor.allocate(allocator, 4, 3);
             Tensor b = Tensor.allocate(allocator, 4, 5);
             Tensor out = Tensor.allocate(allocator, 4, 4);
             Tensor bias = Tensor.allocate(allocator, 1, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ops.matmul(a, b, allocator));
            assertTrue(e.getMessage().contains("a is 4×3, b is 4×5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ops.gemmInto(a, b, true, null, false, out));
            try (Tensor bt = Tensor.allocate(allocator, 5, 3)) {
                IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                        () -> ops.gemmInto(a, bt, true, bias, false, out));
                assertTrue(e2.getMessage().contains("matmul output is 4×4, expected 4×5"), e2.getMessage());
            }
            assertThrows(IllegalArgumentException.class, () -> ops.softmaxInto(a, out));
        }
    }

    /**
     * Matmul (inline, caller and worker, handed to the pool, accumulate, parallel packing), softmax and the
     * fused pair, unprepared and with prepared weights, allocate nothing per call once warm, measured by {@link AllocationProbe} in a JVM of its
     * own. In this JVM the answer would depend on what ran before: the kernels' compiled code here depends
     * on type profiles that every earlier test wrote into the shared Vector API methods, and a kernel
     * compiled against mixed profiles was seen keeping boxing fallbacks for good (docs/performance.md).
     */
    @Test
    @Timeout(value = AllocationProbe.WALL_LIMIT_SECONDS + 90, unit = TimeUnit.SECONDS)
    void tiledCallsAllocateNothingInSteadyState() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), AllocationProbe.class.getName()));
        // Output to a file, not a pipe, so that the wait below bounds the test even if the probe hangs
        Path log = Files.createTempFile("numarrow-allocation-probe", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            // the probe's own backstop, plus its JVM's start and the report
            boolean finished = child.waitFor(AllocationProbe.WALL_LIMIT_SECONDS + 60, TimeUnit.SECONDS);
            if (!finished) {
                child.destroyForcibly().waitFor();
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(finished, "probe did not finish:\n" + output);
            assertEquals(0, child.exitValue(), "allocation probe failed:\n" + output);
            assertTrue(output.contains("allocates nothing"), output);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static double[] softmaxRow(double[] x, int r, int cols) {
        return Reference.softmaxRow(Arrays.copyOfRange(x, r * cols, r * cols + cols));
    }

    /** Inputs in [-1, 1]: tolerance 1e-6·k·max|a|·max|b| (+1e-6 for the bias and C terms). */
    private static void assertClose(double[] ref, Tensor c, int k, String what) {
        double tol = 1e-6 * k + 1e-6;
        for (int i = 0; i < c.rows(); i++) {
            for (int j = 0; j < c.cols(); j++) {
                double want = ref[i * c.cols() + j];
                float got = c.get(i, j);
                if (!(Math.abs(got - want) <= tol)) {
                    throw new AssertionError(what + ": C[" + i + "][" + j + "] = " + got + ", reference " + want);
                }
            }
        }
    }

    private static float[] random(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }
}
