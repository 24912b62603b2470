package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Packed weights copied to every node of a NUMA-aware pool, on a fixture machine of four nodes. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ParallelOpsNumaTest {
    @Test
    void everyNodeOfTheWorkersGetsACopyAndResultsStayExact() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(4).numaAware(true).build();
        try (ThreadPool pool = NumaPlacementTest.fixturePool("epyc-4node", config);
             BufferAllocator allocator = new RootAllocator()) {
            ParallelOps ops = new ParallelOps(pool);
            List<Integer> nodes = pool.placements().stream().map(WorkerPlacement::node).distinct().sorted().toList();
            assertTrue(nodes.size() > 1, "the fixture pool spans several nodes: " + nodes);
            assertEquals(nodes, ops.weightNodes());

            int m = 700, k = 150, n = 90;
            SplittableRandom random = new SplittableRandom(7);
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-1, 1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) random.nextDouble(-1, 1);
            }
            try (Tensor ta = Tensor.fromArray(allocator, m, k, a);
                 Tensor tb = Tensor.fromArray(allocator, k, n, b);
                 Tensor c = ops.matmul(ta, tb, allocator)) {
                assertEquals(nodes.size(), ops.weightCopies(), "one copy per node per call");
                for (int i = 0; i < m; i += 37) {
                    for (int j = 0; j < n; j++) {
                        double expected = 0;
                        for (int p = 0; p < k; p++) {
                            expected += (double) a[i * k + p] * b[p * n + j];
                        }
                        assertEquals(expected, c.get(i, j), 1e-6 * k, "c[" + i + "][" + j + "]");
                    }
                }
                try (PreparedWeights w = ops.prepare(tb); Tensor p = ops.matmul(ta, w, allocator)) {
                    assertEquals(nodes.size(), w.nodeCopies(), "prepared weights: one copy per node, once");
                    ops.matmul(ta, w, allocator).close();
                    assertEquals(2L * nodes.size(), ops.weightCopies(), "no copies per prepared call");
                    org.junit.jupiter.api.Assertions.assertArrayEquals(c.toArray(), p.toArray(), "same bits as unprepared");
                }
            }
        }
    }

    @Test
    void aPoolOnOneNodeSharesOneCopy() {
        try (ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).numaAware(true).build())) {
            ParallelOps ops = new ParallelOps(pool);
            assertEquals(List.of(), ops.weightNodes());
        }
    }
}
