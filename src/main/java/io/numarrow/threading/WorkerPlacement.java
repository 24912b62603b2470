package io.numarrow.threading;

import io.numarrow.numa.CpuTopology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each worker of a pool runs. A NUMA-aware pool deals its workers out over the nodes in
 * turn (worker 0 on the first node, worker 1 on the second, ...), as llama.cpp's
 * {@code --numa distribute} does, and keeps each on its node's CPUs; a pinned pool gives each
 * worker one CPU, taking one hardware thread of every core before any second thread of a core,
 * so that workers do not share a core while a core sits idle.
 *
 * @param worker      the worker's index
 * @param node        the kernel's id of the worker's NUMA node, or -1 when the pool is not NUMA-aware
 * @param cpu         the CPU the worker is pinned to, or -1 when it is not pinned
 * @param allowedCpus the affinity mask the worker sets on itself; empty to leave it as inherited
 */
public record WorkerPlacement(int worker, int node, int cpu, List<Integer> allowedCpus) {
    public WorkerPlacement {
        allowedCpus = List.copyOf(allowedCpus);
    }

    /** The placement of {@code workers} workers on {@code topology}. */
    public static List<WorkerPlacement> plan(CpuTopology topology, int workers, boolean numaAware, boolean pin) {
        List<WorkerPlacement> plan = new ArrayList<>(workers);
        if (topology.numThreads() == 0) {
            for (int w = 0; w < workers; w++) {
                plan.add(new WorkerPlacement(w, -1, -1, List.of()));
            }
            return plan;
        }
        if (numaAware) {
            List<Integer> nodes = topology.nodeIds();
            List<List<Integer>> orders = new ArrayList<>();
            for (int n : nodes) {
                orders.add(coresFirst(topology, topology.cpusOfNode(n)));
            }
            int[] perNode = new int[nodes.size()];
            for (int w = 0; w < workers; w++) {
                int n = w % nodes.size();
                List<Integer> order = orders.get(n);
                int cpu = order.get(perNode[n]++ % order.size());
                plan.add(pin ? new WorkerPlacement(w, nodes.get(n), cpu, List.of(cpu))
                        : new WorkerPlacement(w, nodes.get(n), -1, topology.cpusOfNode(nodes.get(n))));
            }
            return plan;
        }
        if (!pin) { // the workers keep the mask they inherit
            for (int w = 0; w < workers; w++) {
                plan.add(new WorkerPlacement(w, -1, -1, List.of()));
            }
            return plan;
        }
        List<Integer> order = coresFirst(topology, topology.usableCpus());
        for (int w = 0; w < workers; w++) {
            int cpu = order.get(w % order.size());
            plan.add(new WorkerPlacement(w, -1, cpu, List.of(cpu)));
        }
        return plan;
    }

    /** {@code cpus} reordered: the first hardware thread of every core, then the second ones, ... */
    static List<Integer> coresFirst(CpuTopology topology, List<Integer> cpus) {
        Map<Long, List<Integer>> byCore = new LinkedHashMap<>();
        for (CpuTopology.Cpu c : topology.cpus()) {
            if (cpus.contains(c.id())) {
                long key = ((long) c.packageId() << 32) | (c.coreId() & 0xffffffffL);
                byCore.computeIfAbsent(key, k -> new ArrayList<>()).add(c.id());
            }
        }
        record Ranked(int cpu, int rank) {
        }
        List<Ranked> ranked = new ArrayList<>();
        for (List<Integer> siblings : byCore.values()) {
            siblings.sort(Comparator.naturalOrder());
            for (int i = 0; i < siblings.size(); i++) {
                ranked.add(new Ranked(siblings.get(i), i));
            }
        }
        ranked.sort(Comparator.comparingInt(Ranked::rank).thenComparingInt(Ranked::cpu));
        return ranked.stream().map(Ranked::cpu).toList();
    }
}
