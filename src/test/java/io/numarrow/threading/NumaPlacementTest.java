package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.numa.CpuTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Workers spread over NUMA nodes, on other machines' topologies (the data/topology fixtures). */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NumaPlacementTest {
    static final Path FIXTURES = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/topology");

    static CpuTopology fixture(String name) throws IOException {
        Path root = FIXTURES.resolve(name);
        return CpuTopology.detect(root, CpuTopology.parseCpuList(Files.readString(root.resolve("affinity")).trim()));
    }

    /** A pool on a fixture machine; affinity calls "succeed" without touching this machine's threads. */
    static ThreadPool fixturePool(String name, ThreadPoolConfig config) throws IOException {
        return ThreadPool.init(config, fixture(name), Thread::start, cpus -> 0);
    }

    @Test
    void numaAwareWorkersAreDealtOutOverNodesAndPinnedCoresFirst() throws IOException {
        CpuTopology t = fixture("two-socket-smt");
        List<WorkerPlacement> plan = WorkerPlacement.plan(t, 10, true, true);
        for (WorkerPlacement p : plan) {
            assertEquals(p.worker() % 4, p.node(), "worker " + p.worker());
            assertEquals(p.node(), t.nodeOf(p.cpu()), "worker " + p.worker() + " pinned off its node");
            assertEquals(List.of(p.cpu()), p.allowedCpus());
        }
        // node 0's CPUs are 0-3 and their siblings 16-19: its workers take 0, 1, 2 (distinct cores)
        assertEquals(List.of(0, 1, 2), plan.stream().filter(p -> p.node() == 0).map(WorkerPlacement::cpu).toList());
        Set<Integer> cpus = new HashSet<>();
        plan.forEach(p -> cpus.add(p.cpu()));
        assertEquals(10, cpus.size(), "two workers pinned to one CPU");
    }

    @Test
    void numaAwareUnpinnedWorkersAreBoundToTheirNodesCpus() throws IOException {
        CpuTopology t = fixture("epyc-4node");
        List<WorkerPlacement> plan = WorkerPlacement.plan(t, 4, true, false);
        for (WorkerPlacement p : plan) {
            assertEquals(-1, p.cpu());
            assertEquals(t.cpusOfNode(p.node()), p.allowedCpus());
        }
        assertEquals(List.of(0, 1, 2, 3), plan.stream().map(WorkerPlacement::node).toList());
    }

    @Test
    void pinnedWorkersTakeOneThreadOfEachCoreFirst() throws IOException {
        CpuTopology t = fixture("container-3cpu");
        List<WorkerPlacement> plan = WorkerPlacement.plan(t, t.defaultWorkerCount(), false, true);
        assertEquals(List.of(1, 2), plan.stream().map(WorkerPlacement::cpu).toList(),
                "CPU 5 is CPU 1's sibling: the second worker belongs on core 2");
        assertEquals(List.of(1, 2, 5), WorkerPlacement.coresFirst(t, t.usableCpus()));
        // not pinned, not NUMA-aware: workers keep the affinity they inherit
        assertTrue(WorkerPlacement.plan(t, 2, false, false).stream().allMatch(p -> p.allowedCpus().isEmpty()));
    }

    @Test
    void offlineCpusGetNoWorkers() throws IOException {
        CpuTopology t = fixture("offline-cpus");
        List<WorkerPlacement> plan = WorkerPlacement.plan(t, t.defaultWorkerCount(), true, true);
        assertEquals(4, plan.size(), "cgroup quota of 4 CPUs");
        for (WorkerPlacement p : plan) {
            assertNotEquals(3, p.cpu());
            assertNotEquals(6, p.cpu());
        }
        assertEquals(List.of(0, 4, 1, 5), plan.stream().map(WorkerPlacement::cpu).toList());
    }

    @Test
    void eachWorkerKnowsItsNodeAndStealsFromItsOwnNodeFirst() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(8).numaAware(true).enableWorkStealing(false).build();
        try (ThreadPool p = fixturePool("epyc-4node", config)) {
            for (int node = 0; node < 4; node++) {
                int n = node;
                int[] seen = new int[2];
                p.submitToNode(node, () -> {
                    seen[0] = ThreadPool.currentNode();
                    seen[1] = ThreadPool.currentWorkerIndex();
                }).await();
                assertEquals(n, seen[0], "task for node " + n + " ran on node " + seen[0]);
                assertEquals(n, seen[1] % 4, "worker " + seen[1] + " is not on node " + n);
            }
            for (int w = 0; w < 8; w++) {
                List<Integer> order = p.worker(w).victimOrder();
                assertEquals(7, order.size());
                assertEquals((w + 4) % 8, order.getFirst(), "worker " + w + " should try its node mate first: " + order);
            }
            assertEquals(0, ThreadPool.currentNode(), "not a worker");
        }
    }

    @Test
    void aTaskOnOneNodeCanHandWorkToAnother() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(4).numaAware(true).enableWorkStealing(false).build();
        try (ThreadPool p = fixturePool("epyc-4node", config)) {
            int[] seen = {-1, -1};
            p.submitToNode(0, () -> {
                seen[0] = ThreadPool.currentNode();
                WorkItem remote = p.submitToNode(2, () -> seen[1] = ThreadPool.currentNode());
                remote.join(); // node 0's worker helps with its own queue; node 2's worker runs this
            }).await();
            assertEquals(0, seen[0]);
            assertEquals(2, seen[1]);
        }
    }

    @Test
    void tilesGoToTheWorkersOfTheirMemorysNode() throws Exception {
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(4).numaAware(true).enableWorkStealing(false).build();
        try (ThreadPool p = fixturePool("epyc-4node", config)) {
            int rows = 1000;
            AtomicIntegerArray covered = new AtomicIntegerArray(rows);
            ConcurrentLinkedQueue<String> misplaced = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> nodesUsed = new ConcurrentLinkedQueue<>();
            // rows 0-249 live on node 0, 250-499 on node 1, ...
            TileScheduler.forEachRowTile(p, rows, 1 << 20, r -> r / 250, (start, end) -> {
                int node = ThreadPool.currentNode();
                nodesUsed.add(node);
                for (int r = start; r < end; r++) {
                    covered.incrementAndGet(r);
                    if (r / 250 != node) {
                        misplaced.add("row " + r + " on node " + node);
                    }
                }
            });
            for (int r = 0; r < rows; r++) {
                assertEquals(1, covered.get(r), "row " + r);
            }
            assertEquals(List.of(), new ArrayList<>(misplaced).subList(0, Math.min(5, misplaced.size())));
            assertEquals(Set.of(0, 1, 2, 3), new HashSet<>(nodesUsed));
        }
    }

    @Test
    void notNumaAwarePoolReportsNodeZero() throws Exception {
        try (ThreadPool p = fixturePool("two-socket-smt", ThreadPoolConfig.builder().numThreads(2).build())) {
            int[] node = {-1};
            p.submit(() -> node[0] = ThreadPool.currentNode()).await();
            assertEquals(0, node[0]);
            assertTrue(p.stats().stream().allMatch(s -> s.node() == -1));
        }
    }
}
