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
        return new ThreadPool(config, fixture(name), Thread::start, cpus -> 0);
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
            // from outside, tasks go to the workers' inboxes in turn; without stealing each runs where it was put
            List<WorkItem> items = new ArrayList<>();
            int[][] seen = new int[8][];
            for (int i = 0; i < 8; i++) {
                int task = i;
                items.add(p.submit(() -> seen[task] = new int[] {ThreadPool.currentWorkerIndex(), ThreadPool.currentNode()}));
            }
            for (WorkItem item : items) {
                item.await();
            }
            Set<Integer> workers = new HashSet<>();
            for (int[] s : seen) {
                workers.add(s[0]);
                assertEquals(s[0] % 4, s[1], "worker " + s[0] + " reports node " + s[1]);
                assertEquals(p.placements().get(s[0]).node(), s[1], "worker " + s[0] + "'s placement");
            }
            assertEquals(8, workers.size(), "one task per worker: " + workers);
            for (int w = 0; w < 8; w++) {
                List<Integer> order = PoolInternals.victimOrder(p, w);
                assertEquals(7, order.size());
                assertEquals((w + 4) % 8, order.getFirst(), "worker " + w + " should try its node mate first: " + order);
            }
            assertEquals(0, ThreadPool.currentNode(), "not a worker");
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
