package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
            float[] a = uniform(random, m * k);
            float[] b = uniform(random, k * n);
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
                    assertArrayEquals(c.toArray(), p.toArray(), "same bits as unprepared");
                }
            }
        }
    }

    /**
     * Each node's copy of the prepared weights scaled by its own power of two (exact in float), so that a
     * result tells which copy a call read: a worker running a call of one tile itself reads its node's.
     */
    @Test
    void aWorkerReadsItsOwnNodesCopy() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(4).numaAware(true).enableWorkStealing(false).build();
        try (ThreadPool pool = NumaPlacementTest.fixturePool("epyc-4node", config);
             BufferAllocator allocator = new RootAllocator()) {
            ParallelOps parallel = new ParallelOps(pool);
            int m = 13, k = 40, n = 33; // 17k multiply-adds: one tile, run by the calling worker
            SplittableRandom random = new SplittableRandom(3);
            float[] av = uniform(random, m * k);
            float[] bv = uniform(random, k * n);
            try (Tensor a = Tensor.fromArray(allocator, m, k, av); Tensor b = Tensor.fromArray(allocator, k, n, bv);
                 Tensor plain = parallel.matmul(a, b, allocator); PreparedWeights w = parallel.prepare(b)) {
                for (int node = 0; node < 4; node++) {
                    MemorySegment copy = w.forNode(node);
                    assertNotSame(w.packed(), copy, "node " + node + " has a copy of its own");
                    for (long i = 0; i < copy.byteSize() / Float.BYTES; i++) {
                        copy.setAtIndex(ValueLayout.JAVA_FLOAT, i, copy.getAtIndex(ValueLayout.JAVA_FLOAT, i) * (2 << node));
                    }
                }
                float[][] seen = new float[4][];
                int[] nodeOf = new int[4];
                List<WorkItem> items = new ArrayList<>();
                for (int i = 0; i < 4; i++) { // one task per worker: inboxes in turn, no stealing
                    items.add(pool.submit(() -> {
                        int worker = ThreadPool.currentWorkerIndex();
                        nodeOf[worker] = ThreadPool.currentNode();
                        try (Tensor c = parallel.matmul(a, w, allocator)) {
                            seen[worker] = c.toArray();
                        }
                    }));
                }
                for (WorkItem item : items) {
                    item.await();
                }
                float[] expected = plain.toArray();
                for (int worker = 0; worker < 4; worker++) {
                    float scale = 2 << nodeOf[worker];
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(expected[i] * scale, seen[worker][i],
                                "worker " + worker + " on node " + nodeOf[worker] + ", element " + i);
                    }
                }
                assertEquals(Set.of(0, 1, 2, 3), Set.of(nodeOf[0], nodeOf[1], nodeOf[2], nodeOf[3]));
                // from outside the pool, no node in particular: the shared copy
                try (Tensor outside = parallel.matmul(a, w, allocator)) {
                    assertArrayEquals(expected, outside.toArray());
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

    private static float[] uniform(SplittableRandom random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }
}
