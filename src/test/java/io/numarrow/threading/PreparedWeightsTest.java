package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Weights packed once ({@link ParallelOps#prepare}) give the unprepared calls' bits and fail loudly when misused. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PreparedWeightsTest {
    private static ThreadPool pool;
    private static ParallelOps ops;
    private BufferAllocator allocator;

    @BeforeAll
    static void startPool() {
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
        ops = new ParallelOps(pool);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    @BeforeEach
    void open() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void close() {
        allocator.close();
    }

    /** Small shapes run inline, large ones tiled on the pool; both must match the unprepared call bit for bit. */
    @ParameterizedTest
    @CsvSource({"1,1,1", "15,17,255", "17,255,15", "255,256,256", "1000,256,256", "4000,256,256", "1000,100,1000"})
    void sameBitsAsUnpreparedCalls(int m, int k, int n) {
        try (Tensor a = random(m, k, 1); Tensor b = random(k, n, 2); Tensor bias = random(1, n, 3);
             Tensor expected = Tensor.allocate(allocator, m, n); Tensor actual = Tensor.allocate(allocator, m, n);
             PreparedWeights w = ops.prepare(b)) {
            assertEquals(k, w.rows());
            assertEquals(n, w.cols());
            ops.matmulInto(a, b, expected);
            ops.matmulInto(a, w, actual);
            assertArrayEquals(expected.toArray(), actual.toArray(), "matmul " + m + "×" + k + "×" + n);
            ops.matmulSoftmaxInto(a, b, expected);
            ops.matmulSoftmaxInto(a, w, actual);
            // Within 16 ulps, not bitwise: the unprepared fused call alone changes its last bits once the
            // JIT compiles softmax (seen at 15×17×255 from about the 900th call), the cold/warm issue
            // that issue 13's warm-up part fixes; tighten to bitwise once it has.
            assertWithinUlps(expected.toArray(), actual.toArray(), 16, "matmul+softmax " + m + "×" + k + "×" + n);
            // accumulate onto the same starting contents
            java.lang.foreign.MemorySegment.copy(expected.segment(), 0, actual.segment(), 0, (long) m * n * Float.BYTES);
            ops.gemmInto(a, b, false, bias, true, expected);
            ops.gemmInto(a, w, bias, true, actual);
            assertArrayEquals(expected.toArray(), actual.toArray(), "gemm with bias, accumulating");
            checkAgainstFloat64(a, b, m, k, n);
        }
    }

    private static void assertWithinUlps(float[] expected, float[] actual, int ulps, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            assertTrue(Math.abs(e - actual[i]) <= ulps * Math.ulp(e), what + ": [" + i + "] " + e + " vs " + actual[i]);
        }
    }

    private void checkAgainstFloat64(Tensor a, Tensor b, int m, int k, int n) {
        try (PreparedWeights w = ops.prepare(b); Tensor c = ops.matmul(a, w, allocator)) {
            for (int i = 0; i < m; i += Math.max(1, m / 7)) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) a.get(i, p) * b.get(p, j);
                    }
                    assertEquals(s, c.get(i, j), 1e-5 * Math.sqrt(k) + 1e-6, "c[" + i + "][" + j + "]");
                }
            }
        }
    }

    /**
     * Weights prepared with a bias add it inside the tile: the same bits as the unprepared call given the
     * bias, on a pool of 1 and of 2 threads, for the plain, fused and scoring forms; the classes are each
     * row's argmax; and the result is close to float64.
     */
    @ParameterizedTest(name = "{0}×{1}×{2}, {3} threads")
    @CsvSource({"1,1,1,1", "17,3,2,2", "255,33,3,1", "255,64,1000,2", "1000,256,16,2", "1000,256,16,1",
            "4000,256,256,2", "15,17,255,2"})
    void biasGivesTheUnpreparedCallsBits(int m, int k, int n, int threads) {
        try (ThreadPool own = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
             Tensor a = random(m, k, 11); Tensor b = random(k, n, 12);
             Tensor expected = Tensor.allocate(allocator, m, n); Tensor actual = Tensor.allocate(allocator, m, n)) {
            ParallelOps p = new ParallelOps(own);
            PreparedWeights w;
            float[] biasValues;
            try (Tensor bias = random(1, n, 13)) {
                biasValues = bias.toArray();
                w = p.prepare(b, bias);
                assertTrue(w.hasBias());
                p.gemmInto(a, b, false, bias, false, expected);
            } // the prepared weights keep a copy of the bias
            try (w; java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                p.matmulInto(a, w, actual);
                assertArrayEquals(expected.toArray(), actual.toArray(), "matmul with bias");
                double[] ref = io.numarrow.Reference.matmul(a.toArray(), b.toArray(), biasValues, null, m, n, k, false);
                io.numarrow.Reference.assertClose(ref, io.numarrow.Reference.widen(actual.toArray()),
                        1e-5 * Math.sqrt(k), 1e-5, "against float64");

                java.lang.foreign.MemorySegment classes = arena.allocate((long) m * Integer.BYTES);
                p.scoreInto(a, w, false, actual, classes);
                assertArrayEquals(expected.toArray(), actual.toArray(), "scoring without softmax: the margins");
                assertClasses(actual, classes);

                p.softmaxInto(expected, expected);
                p.matmulSoftmaxInto(a, w, actual);
                assertArrayEquals(expected.toArray(), actual.toArray(), "fused softmax with bias");
                classes.fill((byte) 0x7f);
                p.scoreInto(a, w, true, actual, classes);
                assertArrayEquals(expected.toArray(), actual.toArray(), "scoring with softmax: the probabilities");
                assertClasses(actual, classes);
                java.lang.foreign.MemorySegment separately = arena.allocate((long) m * Integer.BYTES);
                p.argmaxInto(actual, separately);
                assertEquals(-1, classes.mismatch(separately), "argmaxInto gives the fused pass's classes");
            }
        }
    }

    private static void assertClasses(Tensor scores, java.lang.foreign.MemorySegment classes) {
        float[] s = scores.toArray();
        int n = scores.cols();
        for (int r = 0; r < scores.rows(); r++) {
            int best = 0;
            for (int j = 1; j < n; j++) {
                best = s[r * n + j] > s[r * n + best] ? j : best;
            }
            assertEquals(best, classes.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, r), "class of row " + r);
        }
    }

    @Test
    void biasMisuseIsRefused() {
        try (Tensor a = random(10, 8, 1); Tensor b = random(8, 5, 2); Tensor wrong = random(1, 4, 3);
             Tensor column = random(5, 1, 4); Tensor bias = random(1, 5, 5); Tensor out = Tensor.allocate(allocator, 10, 5);
             PreparedWeights w = ops.prepare(b, bias)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ops.prepare(b, wrong));
            assertTrue(e.getMessage().contains("1×4") && e.getMessage().contains("1×5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ops.prepare(b, column));
            e = assertThrows(IllegalArgumentException.class, () -> ops.gemmInto(a, w, bias, false, out));
            assertTrue(e.getMessage().contains("bias already"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ops.scoreInto(a, w, true, out, java.lang.foreign.MemorySegment.ofArray(new int[9])));
            assertTrue(e.getMessage().contains("36 bytes") && e.getMessage().contains("40"), e.getMessage());
            assertTrue(w.toString().contains("bias"), w.toString());
        }
    }

    @Test
    void transposedWeightsMatchTheUnpreparedTransposedCall() {
        int m = 300, k = 70, n = 33;
        try (Tensor a = random(m, k, 4); Tensor bt = random(n, k, 5);
             Tensor expected = Tensor.allocate(allocator, m, n); Tensor actual = Tensor.allocate(allocator, m, n);
             PreparedWeights w = ops.prepare(bt, true)) {
            assertEquals(k, w.rows());
            assertEquals(n, w.cols());
            assertTrue(w.transposed());
            ops.gemmInto(a, bt, true, null, false, expected);
            ops.gemmInto(a, w, null, false, actual);
            assertArrayEquals(expected.toArray(), actual.toArray());
        }
    }

    @Test
    void wrongShapesNameBothShapes() {
        try (Tensor a = random(10, 32, 1); Tensor b = random(16, 8, 2); Tensor out = Tensor.allocate(allocator, 10, 8);
             Tensor wideOut = Tensor.allocate(allocator, 10, 9); PreparedWeights w = ops.prepare(b)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ops.matmulInto(a, w, out));
            assertTrue(e.getMessage().contains("10×32") && e.getMessage().contains("16×8"), e.getMessage());
            try (Tensor fits = random(10, 16, 3)) {
                e = assertThrows(IllegalArgumentException.class, () -> ops.matmulSoftmaxInto(fits, w, wideOut));
                assertTrue(e.getMessage().contains("10×9") && e.getMessage().contains("10×8"), e.getMessage());
            }
        }
    }

    @Test
    void useAfterCloseThrows() {
        try (Tensor a = random(600, 64, 1); Tensor b = random(64, 64, 2); Tensor out = Tensor.allocate(allocator, 600, 64)) {
            PreparedWeights w = ops.prepare(b);
            ops.matmulInto(a, w, out);
            w.close();
            w.close(); // idempotent
            assertTrue(w.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ops.matmulInto(a, w, out));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> ops.matmulSoftmaxInto(a, w, out));
            try (Tensor small = random(2, 64, 3); Tensor smallOut = Tensor.allocate(allocator, 2, 64)) {
                assertThrows(IllegalStateException.class, () -> ops.matmulInto(small, w, smallOut), "the inline path too");
            }
        }
    }

    /** Four threads (more than the pool's workers) multiply different inputs by the same prepared weights at once. */
    @Test
    void sharedByConcurrentCallers() throws Exception {
        int callers = 4, m = 2000, k = 128, n = 96, rounds = 5;
        try (Tensor b = random(k, n, 9); PreparedWeights w = ops.prepare(b)) {
            List<Tensor> inputs = new ArrayList<>();
            List<float[]> expected = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                Tensor a = random(m, k, 100 + c);
                inputs.add(a);
                try (Tensor e = Tensor.allocate(allocator, m, n)) {
                    ops.matmulSoftmaxInto(a, b, e);
                    expected.add(e.toArray());
                }
            }
            ExecutorService threads = Executors.newFixedThreadPool(callers);
            CyclicBarrier start = new CyclicBarrier(callers);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    Tensor a = inputs.get(c);
                    results.add(threads.submit(() -> {
                        try (Tensor out = Tensor.allocate(allocator, m, n)) {
                            start.await();
                            float[] last = null;
                            for (int r = 0; r < rounds; r++) {
                                ops.matmulSoftmaxInto(a, w, out);
                                float[] now = out.toArray();
                                if (last != null) {
                                    assertArrayEquals(last, now, "round " + r);
                                }
                                last = now;
                            }
                            return last;
                        }
                    }));
                }
                for (int c = 0; c < callers; c++) {
                    assertArrayEquals(expected.get(c), results.get(c).get(), "caller " + c);
                }
            } finally {
                threads.shutdownNow();
                inputs.forEach(Tensor::close);
            }
        }
    }

    private Tensor random(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return Tensor.fromArray(allocator, rows, cols, v);
    }
}
