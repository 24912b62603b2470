package io.numarrow.numa.vm;

import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.LinuxMemory;
import io.numarrow.numa.LinuxSched;
import io.numarrow.numa.NodeMemory;
import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaNodes;
import io.numarrow.numa.NumaPolicy;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkItem;
import io.numarrow.threading.WorkerPlacement;
import io.numarrow.threading.WorkerStats;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Placement checks that only mean something on a kernel with several NUMA nodes: run inside the
 * QEMU guest of {@code tools/numa-vm/run} (by {@code NumaVmTest}), never in the host's suite.
 * Every check asks the kernel where pages really are ({@code get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR)})
 * and which CPU a thread runs on ({@code sched_getcpu}), so none of them can pass on a broken
 * placement. Prints one line per check; exits 1 when any failed.
 */
public final class NumaGuestChecks {
    private static final long PAGE = LinuxMemory.PAGE_SIZE;
    private final List<String> failures = new ArrayList<>();
    private final int expectedNodes = Integer.getInteger("numarrow.vm.nodes", -1);
    private NumaNodes nodes;
    private CpuTopology topology;

    public static void main(String[] args) {
        NumaGuestChecks checks = new NumaGuestChecks();
        checks.runAll();
        if (checks.failures.isEmpty()) {
            System.out.println("NUMA guest checks: all passed on " + checks.nodes.count() + " nodes");
            System.exit(0);
        }
        System.out.println("NUMA guest checks: " + checks.failures.size() + " failed: " + checks.failures);
        System.exit(1);
    }

    private interface Check {
        void run() throws Exception;
    }

    private void check(String name, Check body) {
        long t0 = System.nanoTime();
        try {
            body.run();
            System.out.printf("PASS %s (%.1f s)%n", name, (System.nanoTime() - t0) / 1e9);
        } catch (Throwable t) {
            failures.add(name);
            System.out.println("FAIL " + name + ": " + t);
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("io.numarrow")) {
                    System.out.println("    at " + e);
                }
            }
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    private void runAll() {
        nodes = NumaNodes.detect();
        topology = CpuTopology.detect();
        System.out.println("guest: nodes " + nodes.ids() + ", cpus per node "
                + nodes.ids().stream().map(n -> n + "=" + topology.cpusOfNode(n)).toList());
        check("the guest has the nodes asked for", () -> require(nodes.count() == expectedNodes
                && nodes.count() > 1, "expected " + expectedNodes + " nodes, kernel shows " + nodes.ids()));
        if (!failures.isEmpty()) {
            return; // nothing below means anything on the wrong machine
        }
        check("per-node memory as the kernel reports it", this::nodeMemory);
        check("numarrow topology --numa-aware --pin runs", () -> require(
                io.numarrow.cli.Main.run("topology", "--numa-aware", "--pin") == 0, "topology exit status"));
        check("forNode(n): small and large buffers on node n", this::forNodeSmallAndLarge);
        check("forNode(missing) fails naming the node", this::forMissingNode);
        check("PREFERRED(last node) places pages on it", this::preferred);
        check("INTERLEAVE spreads pages over every node", this::interleave);
        check("LOCAL follows the allocating thread's node", this::localFollowsThread);
        check("huge-page path: 2 MiB-aligned, advised, on the asked node", this::hugePages);
        check("NUMA-aware pinned pool: a worker per node, running on its CPUs", this::poolPlacement);
        check("LOCAL allocations inside each worker land on its node", this::localInsideWorkers);
        check("compute --numa local|interleave|preferred=N: output equal to float64", this::computeEndToEnd);
        check("ParallelOps: weights on every node, output rows on the computing node, right result",
                this::parallelOps);
        check("ParallelOps called on a worker of each node: its output rows moved to its node, same bits",
                this::parallelOpsOnEachNode);
    }

    private void nodeMemory() {
        long asked = Long.getLong("numarrow.vm.memPerNodeMiB", -1) << 20;
        List<NodeMemory> memory = NodeMemory.detect(java.nio.file.Path.of("/"), nodes.ids());
        System.out.println("  memory per node: " + memory);
        require(memory.size() == nodes.count(), "meminfo for every node: " + memory);
        for (NodeMemory m : memory) {
            // the kernel keeps some of each node for itself, node 0 the most
            require(m.totalBytes() > asked / 2 && m.totalBytes() <= asked && m.freeBytes() <= m.totalBytes(),
                    "node " + m.node() + " has about the " + (asked >> 20) + " MiB QEMU gave it: " + m);
        }
    }

    /** Writes every page (first touch), then the node of each page, counted. */
    static Map<Integer, Integer> pageNodes(long address, long bytes) {
        MemorySegment seg = MemorySegment.ofAddress(address).reinterpret(bytes);
        for (long off = 0; off < bytes; off += PAGE) {
            seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, off, (byte) 1);
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        for (long off = 0; off < bytes; off += PAGE) {
            counts.merge(LinuxMemory.nodeOfPage(address + off), 1, Integer::sum);
        }
        return counts;
    }

    private static void requireAllOn(int node, Map<Integer, Integer> counts, String what) {
        require(counts.size() == 1 && counts.containsKey(node), what + ": pages by node " + counts
                + ", wanted all on node " + node);
    }

    private void forNodeSmallAndLarge() {
        for (int node : nodes.ids()) {
            try (BufferAllocator a = NumaAllocator.forNode(node)) {
                try (ArrowBuf small = a.buffer(4096); ArrowBuf large = a.buffer(1 << 20)) {
                    requireAllOn(node, pageNodes(small.memoryAddress(), 4096), "forNode(" + node + ") 4 KiB");
                    requireAllOn(node, pageNodes(large.memoryAddress(), 1 << 20), "forNode(" + node + ") 1 MiB");
                }
                require(NumaAllocator.of(a).orElseThrow().stats().bindingActive(), "binding active");
            }
        }
    }

    private void forMissingNode() {
        int missing = nodes.ids().getLast() + 1;
        try (BufferAllocator a = NumaAllocator.forNode(missing)) {
            throw new AssertionError("forNode(" + missing + ") built an allocator: " + a);
        } catch (RuntimeException e) {
            require(String.valueOf(e.getMessage()).contains(String.valueOf(missing)),
                    "the error names node " + missing + ": " + e.getMessage());
        }
    }

    private void preferred() throws Exception {
        // From a thread on node 0, so that first touch alone would put the pages elsewhere.
        int last = nodes.ids().getLast();
        int cpu = topology.cpusOfNode(nodes.ids().getFirst()).getFirst();
        Map<Integer, Integer>[] seen = new Map[1];
        Thread t = new Thread(() -> {
            LinuxSched.setCurrentThreadAffinity(List.of(cpu));
            try (BufferAllocator a = NumaAllocator.root(NumaPolicy.PREFERRED, last);
                 ArrowBuf buf = a.buffer(1 << 20)) {
                seen[0] = pageNodes(buf.memoryAddress(), 1 << 20);
            }
        });
        t.start();
        t.join();
        requireAllOn(last, seen[0], "PREFERRED(" + last + ") from cpu " + cpu);
    }

    private void interleave() {
        // Below the huge-page threshold the kernel interleaves 4 KiB pages: each node its share.
        long bytes = 1L << 20;
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.INTERLEAVE); ArrowBuf buf = a.buffer(bytes)) {
            Map<Integer, Integer> counts = pageNodes(buf.memoryAddress(), bytes);
            require(counts.keySet().equals(new java.util.TreeSet<>(nodes.ids())),
                    "INTERLEAVE pages by node " + counts + ", wanted every node of " + nodes.ids());
            int pages = (int) (bytes / PAGE);
            for (int count : counts.values()) {
                require(Math.abs(count - pages / nodes.count()) <= 8, "uneven interleave " + counts);
            }
        }
        // Huge pages interleave by 2 MiB page (4 MiB on 4 nodes reached only nodes 0 and 1):
        // two huge pages per node reach every node.
        long huge = (2L << 20) * 2 * nodes.count();
        try (BufferAllocator a = NumaAllocator.root(NumaPolicy.INTERLEAVE); ArrowBuf buf = a.buffer(huge)) {
            Map<Integer, Integer> counts = pageNodes(buf.memoryAddress(), huge);
            require(counts.keySet().equals(new java.util.TreeSet<>(nodes.ids())),
                    "INTERLEAVE of " + (huge >> 20) + " MiB: pages by node " + counts + ", wanted every node");
        }
    }

    private void localFollowsThread() throws Exception {
        for (int node : nodes.ids()) {
            int cpu = topology.cpusOfNode(node).getFirst();
            Map<Integer, Integer>[] seen = new Map[2];
            Thread t = new Thread(() -> {
                LinuxSched.setCurrentThreadAffinity(List.of(cpu));
                try (BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL);
                     ArrowBuf small = a.buffer(8192); ArrowBuf large = a.buffer(1 << 20)) {
                    seen[0] = pageNodes(small.memoryAddress(), 8192);
                    seen[1] = pageNodes(large.memoryAddress(), 1 << 20);
                }
            });
            t.start();
            t.join();
            require(LinuxSched.isAvailable(), "sched calls available");
            requireAllOn(node, seen[0], "LOCAL small on a thread pinned to cpu " + cpu);
            requireAllOn(node, seen[1], "LOCAL large on a thread pinned to cpu " + cpu);
        }
    }

    private void hugePages() {
        long bytes = 8L << 20;
        int node = nodes.ids().getLast();
        try (BufferAllocator a = NumaAllocator.forNode(node); ArrowBuf buf = a.buffer(bytes)) {
            require(buf.memoryAddress() % (2L << 20) == 0, "huge-page buffer 2 MiB-aligned: "
                    + Long.toHexString(buf.memoryAddress()));
            requireAllOn(node, pageNodes(buf.memoryAddress(), bytes), "8 MiB forNode(" + node + ")");
            var stats = NumaAllocator.of(a).orElseThrow().stats();
            require(stats.hugePageAdvice() > 0, "MADV_HUGEPAGE accepted: " + stats);
            LinuxMemory.PagePolicy policy = LinuxMemory.policyOfPage(buf.memoryAddress());
            // forNode asks for the node (PREFERRED) or insists (BIND); either way it names only this node
            require((policy.mode() == LinuxMemory.MPOL_BIND || policy.mode() == LinuxMemory.MPOL_PREFERRED)
                    && policy.nodes().equals(List.of(node)), "the range's policy names node " + node + ": " + policy);
        }
    }

    private ThreadPool numaPool() {
        return ThreadPool.init(ThreadPoolConfig.builder().numThreads(topology.usableCpus().size())
                .numaAware(true).pinThreads(true).build());
    }

    /**
     * Runs {@code task} once on every worker of {@code pool}, which must not steal: tasks from outside go
     * to the workers' inboxes in turn, and each runs where it was put. Fails unless every worker ran one.
     */
    private static void onEveryWorker(ThreadPool pool, Runnable task) throws Exception {
        require(!pool.config().enableWorkStealing(), "a pool without stealing");
        Set<Integer> ran = ConcurrentHashMap.newKeySet();
        List<WorkItem> items = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            items.add(pool.submit(() -> {
                ran.add(ThreadPool.currentWorkerIndex());
                task.run();
            }));
        }
        for (WorkItem item : items) {
            item.join();
        }
        require(ran.size() == pool.size(), "every worker ran a task: " + ran);
    }

    private ThreadPool numaPoolWithoutStealing() {
        return ThreadPool.init(ThreadPoolConfig.builder().numThreads(topology.usableCpus().size())
                .numaAware(true).pinThreads(true).enableWorkStealing(false).build());
    }

    private void poolPlacement() throws Exception {
        try (ThreadPool pool = numaPoolWithoutStealing()) {
            List<Integer> workerNodes = pool.placements().stream().map(WorkerPlacement::node).distinct().sorted()
                    .toList();
            require(workerNodes.equals(nodes.ids()), "workers on every node: " + pool.placements());
            Map<Integer, String> ran = new ConcurrentHashMap<>();
            onEveryWorker(pool, () -> {
                int cpu = LinuxSched.currentCpu();
                int w = ThreadPool.currentWorkerIndex();
                WorkerPlacement mine = pool.placements().get(w);
                ran.put(w, "cpu " + cpu + " node " + topology.nodeOf(cpu) + " allowed "
                        + LinuxSched.currentThreadAffinity());
                require(mine.allowedCpus().contains(cpu), "worker " + w + " on cpu " + cpu
                        + " outside its CPUs " + mine.allowedCpus());
                require(topology.nodeOf(cpu) == mine.node() && ThreadPool.currentNode() == mine.node()
                        && LinuxMemory.currentNode() == mine.node(), "worker " + w + " on node of cpu "
                        + cpu + " = " + topology.nodeOf(cpu) + ", placed on " + mine.node());
                require(LinuxSched.currentThreadAffinity().equals(mine.allowedCpus()),
                        "worker " + w + " pinned to " + mine.allowedCpus());
            });
            System.out.println("  workers: " + new TreeMap<>(ran));
            var perNode = WorkerStats.perNode(pool.stats());
            System.out.println("  tasks and steals per node: " + perNode);
            require(perNode.keySet().equals(new java.util.TreeSet<>(nodes.ids())), "stats per node " + perNode);
            for (WorkerStats s : perNode.values()) {
                require(s.tasksRun() >= 1, "node " + s.node() + " ran the task sent to it: " + s);
            }
        }
    }

    private void localInsideWorkers() throws Exception {
        try (ThreadPool pool = numaPoolWithoutStealing(); BufferAllocator a = NumaAllocator.root(NumaPolicy.LOCAL)) {
            Map<Integer, Map<Integer, Integer>> byNode = new ConcurrentHashMap<>();
            onEveryWorker(pool, () -> {
                try (ArrowBuf small = a.buffer(16384); ArrowBuf large = a.buffer(1 << 20)) {
                    Map<Integer, Integer> counts = new TreeMap<>(pageNodes(small.memoryAddress(), 16384));
                    pageNodes(large.memoryAddress(), 1 << 20).forEach((n, c) -> counts.merge(n, c, Integer::sum));
                    byNode.merge(ThreadPool.currentNode(), counts, (x, y) -> {
                        y.forEach((n, c) -> x.merge(n, c, Integer::sum));
                        return x;
                    });
                }
            });
            for (int node : nodes.ids()) {
                requireAllOn(node, byNode.get(node), "LOCAL inside a worker of node " + node);
            }
        }
    }

    /** The CLI in this JVM (Main.run), on a gen'd file, each NUMA mode against the float64 result. */
    private void computeEndToEnd() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("numa-vm-compute");
        require(io.numarrow.cli.Main.run("gen", "--out-dir", dir.toString(), "--rows", "600", "--dim", "48",
                "--hidden", "24", "--batches", "2", "--quiet") == 0, "gen");
        java.nio.file.Path batch = dir.resolve("batch.arrow");
        java.nio.file.Path weights = dir.resolve("weights.arrow");
        String last = "preferred=" + nodes.ids().getLast();
        try (BufferAllocator allocator = new RootAllocator()) {
            List<double[]> x = io.numarrow.Reference.readRows(batch, "features", allocator);
            List<double[]> w = io.numarrow.Reference.readRows(weights, "weights", allocator);
            for (String mode : List.of("local", "interleave", last)) {
                java.nio.file.Path out = dir.resolve("out-" + mode.replace('=', '-') + ".arrow");
                int status = io.numarrow.cli.Main.run("compute", "--input", batch.toString(), "--weights",
                        weights.toString(), "--output", out.toString(), "--numa", mode, "--pin", "--quiet");
                require(status == 0, "compute --numa " + mode + " exit " + status);
                List<double[]> y = io.numarrow.Reference.readRows(out, "output", allocator);
                require(y.size() == x.size(), "--numa " + mode + ": " + y.size() + " rows of " + x.size());
                for (int r = 0; r < x.size(); r++) {
                    if (x.get(r) == null) {
                        require(y.get(r) == null, "--numa " + mode + " row " + r + " null in the input");
                        continue;
                    }
                    double[] want = io.numarrow.Reference.softmaxRow(io.numarrow.Reference.matmulRow(x.get(r), w));
                    for (int j = 0; j < want.length; j++) {
                        require(Math.abs(want[j] - y.get(r)[j]) <= 1e-6 + 1e-4 * Math.abs(want[j]),
                                "--numa " + mode + " row " + r + " col " + j + ": " + y.get(r)[j] + ", float64 " + want[j]);
                    }
                }
            }
        } finally {
            try (var files = java.nio.file.Files.list(dir)) {
                for (java.nio.file.Path f : files.toList()) {
                    java.nio.file.Files.deleteIfExists(f);
                }
            }
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    private void parallelOps() throws Exception {
        try (ThreadPool pool = numaPool(); BufferAllocator allocator = new RootAllocator()) {
            ParallelOps ops = new ParallelOps(pool);
            require(ops.weightNodes().equals(nodes.ids()), "weights on every node: " + ops.weightNodes());
            int m = 1200, k = 64, n = 64;
            SplittableRandom random = new SplittableRandom(11);
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
                require(ops.weightCopies() == nodes.count(), "one packed copy per node: " + ops.weightCopies());
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double expected = 0;
                        for (int p = 0; p < k; p++) {
                            expected += (double) a[i * k + p] * b[p * n + j];
                        }
                        double got = c.get(i, j);
                        require(Math.abs(got - expected) <= 1e-5 * k, "c[" + i + "][" + j + "] = " + got
                                + ", float64 says " + expected);
                    }
                }
                // ParallelOps moves each tile's output rows to the node of the worker that ran it.
                Map<Integer, Integer> out = new TreeMap<>();
                long addr = c.segment().address();
                long bytes = c.segment().byteSize();
                for (long off = 0; off < bytes; off += PAGE) {
                    out.merge(LinuxMemory.nodeOfPage(addr + off), 1, Integer::sum);
                }
                // Which nodes depends on who ran each tile (a stolen tile moves to the thief's node:
                // a 4-node run saw {0=17, 1=18, 2=40}), so: spread, and only over the pool's nodes.
                require(out.size() > 1 && nodes.ids().containsAll(out.keySet()),
                        "output pages by node " + out + ", wanted them spread over the computing nodes");
            }
        }
    }
    /**
     * A worker of each node multiplies by prepared weights on its own (a call of one tile, so the worker
     * runs it): the output rows it writes, allocated on the first node, are moved to its node first, and
     * the bits are those of the same call from outside the pool. Each output is a mapping of its own, on
     * 2 MiB pages: small buffers share huge pages, which move whole, so a neighbour's move would decide.
     */
    private void parallelOpsOnEachNode() throws Exception {
        int first = nodes.ids().getFirst();
        try (ThreadPool pool = numaPoolWithoutStealing(); BufferAllocator allocator = new RootAllocator();
             BufferAllocator onFirst = NumaAllocator.forNode(first)) {
            ParallelOps parallel = new ParallelOps(pool);
            int m = 1024, k = 1, n = 1024; // 4 MiB of output; 1M multiply-adds, one tile
            try (Tensor a = randomTensor(allocator, m, k, 12); Tensor b = randomTensor(allocator, k, n, 13);
                 Tensor expected = parallel.matmul(a, b, allocator); PreparedWeights w = parallel.prepare(b)) {
                require(w.nodeCopies() == nodes.count(), "prepared weights copied to every node: " + w);
                List<Tensor> outs = new ArrayList<>();
                try {
                    for (int i = 0; i < pool.size(); i++) {
                        outs.add(Tensor.allocate(onFirst, m, n));
                    }
                    Map<Integer, Map<Integer, Integer>> pagesByWorkerNode = new ConcurrentHashMap<>();
                    onEveryWorker(pool, () -> {
                        Tensor c = outs.get(ThreadPool.currentWorkerIndex());
                        parallel.matmulInto(a, w, c);
                        require(java.util.Arrays.equals(expected.toArray(), c.toArray()),
                                "worker on node " + ThreadPool.currentNode() + ": other bits than the call from outside");
                        pagesByWorkerNode.put(ThreadPool.currentNode(), wholePageNodes(c.segment()));
                    });
                    for (int node : nodes.ids()) {
                        requireAllOn(node, pagesByWorkerNode.get(node), "output rows written by a worker of node " + node);
                    }
                } finally {
                    outs.forEach(Tensor::close);
                }
            }
        }
    }

    /** The node of every whole page inside {@code s}, counted (the pages must be present). */
    private static Map<Integer, Integer> wholePageNodes(MemorySegment s) {
        Map<Integer, Integer> counts = new TreeMap<>();
        long end = (s.address() + s.byteSize()) & -PAGE;
        for (long p = LinuxMemory.alignUp(s.address(), PAGE); p < end; p += PAGE) {
            counts.merge(LinuxMemory.nodeOfPage(p), 1, Integer::sum);
        }
        return counts;
    }

    private static Tensor randomTensor(BufferAllocator allocator, int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return Tensor.fromArray(allocator, rows, cols, v);
    }
}

