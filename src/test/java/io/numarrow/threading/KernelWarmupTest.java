package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.numarrow.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The warm-up ends (the vector kernels take over) and reports its time, and the scalar kernel that runs
 * until then gives bitwise what {@link ParallelOps} gives with the vector kernels: inline and tiled, fused
 * with softmax, transposed B. Columns are multiples of 32 (see ScalarGemmTest for why).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KernelWarmupTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    @RegisterExtension
    static final TwoWorkerPool POOL = new TwoWorkerPool();
    private static final ParallelOps ops = POOL.parallel();

    @Test
    void warmupFinishesAndReportsItsWallTime() throws InterruptedException {
        awaitVectorKernels();
        long nanos = ops.warmupNanos();
        assertTrue(nanos > 0, "warm-up time after it finished: " + nanos);
        assertTrue(nanos < TimeUnit.SECONDS.toNanos(120), "warm-up took " + nanos + " ns");
        ParallelOps.startWarmup(); // once per JVM: no second run
        assertEquals(nanos, ops.warmupNanos());
    }

    @Test
    void bridgeGivesTheVectorKernelsBits() throws InterruptedException {
        compareBridgeWithVectorKernels(false);
    }

    /** The fused form: softmax's sum order depends on neither the output's address nor the JIT tier. */
    @Test
    void bridgeGivesTheVectorKernelsBitsFusedWithSoftmax() throws InterruptedException {
        compareBridgeWithVectorKernels(true);
    }

    private static void compareBridgeWithVectorKernels(boolean softmax) throws InterruptedException {
        awaitVectorKernels();
        try (BufferAllocator allocator = new RootAllocator()) {
            // inline (the small shapes) and tiled on the pool (the large ones)
            int[][] shapes = {{4000, 256, 256}, {1, 32, 7}, {17, 64, 255}, {255, 96, 1000}, {8192, 32, 64}};
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean transposeB : new boolean[] {false, true}) {
                    try (Tensor a = random(allocator, m, k, m + n + k);
                         Tensor b = random(allocator, transposeB ? n : k, transposeB ? k : n, 3L * n + k);
                         Tensor vector = Tensor.allocate(allocator, m, n);
                         Tensor bridged = Tensor.allocate(allocator, m, n)) {
                        if (softmax && !transposeB) {
                            ops.matmulSoftmaxInto(a, b, vector);
                        } else {
                            ops.gemmInto(a, b, transposeB, null, false, vector);
                            if (softmax) {
                                ops.softmaxInto(vector, vector);
                            }
                        }
                        // weights loaded as a call before the warm-up's end loads them: in rows alone
                        PreparedWeights rows = PreparedWeights.reusable(new int[0]);
                        rows.reload(b.segment(), k, n, transposeB, null, false);
                        if (softmax) {
                            ops.matmulSoftmaxInto(a, rows, bridged);
                        } else {
                            ops.matmulInto(a, rows, bridged);
                        }
                        String what = m + "×" + k + "·" + k + "×" + n + (softmax ? " softmax" : "") + (transposeB ? " Bᵀ" : "");
                        assertSameBits(vector.segment(), bridged.segment(), m, n, what + ", scalar kernel");
                    }
                }
            }
        }
    }

    /** The warm-up is JVM-wide and may have finished before this test: wait for it, bounded. */
    static void awaitVectorKernels() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!KernelWarmup.vectorKernelsReady()) {
            if (System.nanoTime() > deadline) {
                fail("the kernel warm-up did not finish in 120 s (warmupNanos " + KernelWarmup.nanos() + ")");
            }
            Thread.sleep(10);
        }
    }

    private static Tensor random(BufferAllocator allocator, int rows, int cols, long seed) {
        Tensor t = Tensor.allocate(allocator, rows, cols);
        Random rnd = new Random(seed);
        for (long i = 0; i < (long) rows * cols; i++) {
            t.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
        }
        return t;
    }

    private static void assertSameBits(MemorySegment expected, MemorySegment actual, int m, int n, String what) {
        for (long i = 0; i < (long) m * n; i++) {
            int e = Float.floatToRawIntBits(expected.get(F, i * Float.BYTES));
            int a = Float.floatToRawIntBits(actual.get(F, i * Float.BYTES));
            if (e != a) {
                fail(what + ": differs from the vector kernels at row " + i / n + " col " + i % n + ": "
                        + Float.intBitsToFloat(a) + " against " + Float.intBitsToFloat(e));
            }
        }
    }
}
