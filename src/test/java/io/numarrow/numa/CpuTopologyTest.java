package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CpuTopologyTest {
    static final Path FIXTURES = Path.of(System.getProperty("numarrow.repo", ".")).resolve("data/topology");

    /** The fixture machine {@code name}, seen by a process whose affinity is the fixture's {@code affinity} file. */
    static CpuTopology fixture(String name) throws IOException {
        Path root = FIXTURES.resolve(name);
        List<Integer> affinity = CpuTopology.parseCpuList(Files.readString(root.resolve("affinity")).trim());
        return CpuTopology.detect(root, affinity);
    }

    private static List<Integer> range(int from, int toInclusive) {
        return IntStream.rangeClosed(from, toInclusive).boxed().toList();
    }

    @Test
    void twoSocketsFourNodesWithSmt() throws IOException {
        CpuTopology t = fixture("two-socket-smt");
        assertEquals(32, t.numThreads());
        assertEquals(16, t.numCores(), "siblings n and n+16 share a core");
        assertEquals(4, t.numNumaNodes());
        assertEquals(List.of(0, 1, 2, 3), t.nodeIds());
        assertEquals(List.of(0, 1, 2, 3, 16, 17, 18, 19), t.nodeCpus().get(0));
        assertEquals(List.of(12, 13, 14, 15, 28, 29, 30, 31), t.nodeCpus().get(3));
        assertEquals(64, t.cacheLineSize());
        assertEquals(OptionalDouble.empty(), t.cpuQuota(), "cpu.max 'max' means no quota");
        assertEquals(32, t.defaultWorkerCount());
        assertEquals(2, t.nodeOf(9));
        CpuTopology.Cpu cpu25 = t.cpus().get(25);
        assertEquals(25, cpu25.id());
        assertEquals(1, cpu25.packageId());
        assertEquals(new CpuTopology.Cpu(9, 1, 1, 2).coreId(), cpu25.coreId(), "25 is the sibling of 9");
    }

    @Test
    void epycFourNodesFromCpuinfoWithoutSysfsTopology() throws IOException {
        CpuTopology t = fixture("epyc-4node");
        assertEquals(64, t.numThreads());
        assertEquals(32, t.numCores(), "core ids come from /proc/cpuinfo");
        assertEquals(4, t.numNumaNodes());
        for (int n = 0; n < 4; n++) {
            List<Integer> expected = new ArrayList<>(range(8 * n, 8 * n + 7));
            expected.addAll(range(32 + 8 * n, 32 + 8 * n + 7));
            assertEquals(expected, t.cpusOfNode(n), "node " + n);
        }
        assertEquals(64, t.cacheLineSize(), "from cpuinfo cache_alignment");
        assertTrue(t.cpuQuota().isEmpty(), "cgroup v1 quota -1 is unlimited");
    }

    @Test
    void containerRestrictedByCpusetAndQuota() throws IOException {
        CpuTopology t = fixture("container-3cpu");
        assertEquals(3, t.numThreads());
        assertEquals(List.of(1, 2, 5), t.usableCpus());
        assertEquals(2, t.numCores(), "1 and 5 are siblings");
        assertEquals(1, t.numNumaNodes());
        assertEquals(1.5, t.cpuQuota().orElseThrow(), 1e-9);
        assertEquals(2, t.defaultWorkerCount(), "1.5 CPUs of quota round up to 2 workers");
    }

    @Test
    void offlineCpusAreDroppedEvenIfInTheMask() throws IOException {
        CpuTopology t = fixture("offline-cpus");
        assertEquals(List.of(0, 1, 2, 4, 5, 7), t.usableCpus());
        assertEquals(6, t.numThreads());
        assertEquals(6, t.numCores());
        assertEquals(2, t.numNumaNodes());
        assertEquals(List.of(List.of(0, 1, 2), List.of(4, 5, 7)), t.nodeCpus());
        assertEquals(128, t.cacheLineSize());
        assertEquals(4.0, t.cpuQuota().orElseThrow(), 1e-9, "nested cgroup v1 quota");
        assertEquals(4, t.defaultWorkerCount());
        assertEquals(-1, t.nodeOf(3), "offline CPU 3 is not usable");
    }

    @Test
    void affinityMaskRestrictsNodesAndKeepsKernelNodeIds() throws IOException {
        // a process bound to node 2's CPUs of the two-socket machine sees one node, id 2
        CpuTopology t = CpuTopology.detect(FIXTURES.resolve("two-socket-smt"), List.of(8, 9, 24, 25));
        assertEquals(1, t.numNumaNodes());
        assertEquals(List.of(2), t.nodeIds());
        assertEquals(List.of(8, 9, 24, 25), t.cpusOfNode(2));
        assertEquals(List.of(), t.cpusOfNode(0));
        assertEquals(2, t.numCores());
    }

    @Test
    void thisMachineMatchesItsAffinityMask() {
        CpuTopology t = CpuTopology.detect();
        assertTrue(t.numThreads() >= 1);
        assertTrue(t.numCores() >= 1 && t.numCores() <= t.numThreads());
        assertTrue(t.numNumaNodes() >= 1);
        assertTrue(t.cacheLineSize() >= 16 && Integer.bitCount(t.cacheLineSize()) == 1, "cache line " + t.cacheLineSize());
        Set<Integer> inNodes = new HashSet<>();
        t.nodeCpus().forEach(inNodes::addAll);
        assertEquals(new HashSet<>(t.usableCpus()), inNodes, "every usable CPU is in exactly one node");
        if (LinuxSched.isAvailable()) {
            assertEquals(LinuxSched.currentThreadAffinity(), t.usableCpus());
        }
        assertTrue(t.defaultWorkerCount() >= 1 && t.defaultWorkerCount() <= t.numThreads());
    }

    @Test
    void affinityIsReadFromTheThreadsStatusFile(@TempDir Path root) throws IOException {
        Path status = root.resolve("status");
        Files.writeString(status, "Name:\tjava\nCpus_allowed:\tf0f\nCpus_allowed_list:\t0-3,8-11\nMems_allowed_list:\t0\n");
        assertEquals(List.of(0, 1, 2, 3, 8, 9, 10, 11), CpuTopology.affinityFromProc(status));
        Files.writeString(status, "Name:\tjava\nCpus_allowed_list:\t5\n");
        assertEquals(List.of(5), CpuTopology.affinityFromProc(status));
        // no such line, a list that does not parse, no file: null, and detect() asks sched_getaffinity instead
        Files.writeString(status, "Name:\tjava\nCpus_allowed:\t3\n");
        assertNull(CpuTopology.affinityFromProc(status));
        Files.writeString(status, "Cpus_allowed_list:\t0-x\n");
        assertNull(CpuTopology.affinityFromProc(status));
        assertNull(CpuTopology.affinityFromProc(root.resolve("missing")));
    }

    @Test
    void theStatusFilesMaskIsSchedGetaffinitys() {
        Assumptions.assumeTrue(LinuxSched.isAvailable() && Files.isRegularFile(Path.of("/proc/thread-self/status")),
                "Linux with /proc/thread-self");
        assertEquals(LinuxSched.currentThreadAffinity(), CpuTopology.affinityFromProc(Path.of("/proc/thread-self/status")));
    }

    @Test
    void bareMachineWithoutSysfsFallsBackToCpuinfo(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"), """
                processor\t: 0
                physical id\t: 0
                core id\t\t: 0
                cache_alignment\t: 64

                processor\t: 1
                physical id\t: 0
                core id\t\t: 0
                cache_alignment\t: 64

                processor\t: 2
                physical id\t: 0
                core id\t\t: 1
                cache_alignment\t: 64
                """);
        CpuTopology t = CpuTopology.detect(root, null);
        assertEquals(List.of(0, 1, 2), t.usableCpus());
        assertEquals(2, t.numCores());
        assertEquals(1, t.numNumaNodes());
        assertEquals(List.of(0), t.nodeIds());
        assertEquals(64, t.cacheLineSize());
    }

    @Test
    void cgroupV2QuotaTakesTheTightestAncestor(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("proc/self"));
        Files.writeString(root.resolve("proc/self/cgroup"), "0::/app/job\n");
        Path fs = root.resolve("sys/fs/cgroup");
        Files.createDirectories(fs.resolve("app/job"));
        Files.writeString(fs.resolve("cpu.max"), "max 100000\n");
        Files.writeString(fs.resolve("app/cpu.max"), "200000 100000\n");
        Files.writeString(fs.resolve("app/job/cpu.max"), "350000 100000\n");
        assertEquals(2.0, CgroupCpuQuota.read(root).orElseThrow(), 1e-9);
    }

    @Test
    void cpuListsParseAndFormat() {
        assertEquals(List.of(0, 1, 2, 3, 8, 10, 11), CpuTopology.parseCpuList("0-3,8,10-11"));
        assertEquals(List.of(), CpuTopology.parseCpuList(""));
        assertEquals("0-3,8,10-11", CpuTopology.formatCpuList(List.of(11, 10, 8, 3, 2, 1, 0)));
        assertEquals("5", CpuTopology.formatCpuList(List.of(5)));
        assertFalse(CpuTopology.formatCpuList(List.of()).contains(","));
    }
}
