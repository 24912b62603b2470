package io.numarrow.cli;

import io.numarrow.numa.CpuTopology;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code numarrow topology}: what {@link CpuTopology#detect()} sees. */
@Command(name = "topology", mixinStandardHelpOptions = true, description = "Show the CPUs and NUMA nodes numarrow sees.")
final class TopologyCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--verbose", hidden = true)
    boolean verbose;

    @Override
    public Integer call() {
        CpuTopology t = CpuTopology.detect();
        if (json) {
            String nodes = t.nodeCpus().stream()
                    .map(cpus -> cpus.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")))
                    .collect(Collectors.joining(",", "[", "]"));
            System.out.printf("{\"numCores\":%d,\"numThreads\":%d,\"numNumaNodes\":%d,\"cacheLineSize\":%d,\"nodeCpus\":%s}%n",
                    t.numCores(), t.numThreads(), t.numNumaNodes(), t.cacheLineSize(), nodes);
            return 0;
        }
        System.out.printf("cores %d, hardware threads %d, NUMA nodes %d, cache line %d bytes%n",
                t.numCores(), t.numThreads(), t.numNumaNodes(), t.cacheLineSize());
        List<List<Integer>> nodes = t.nodeCpus();
        for (int n = 0; n < nodes.size(); n++) {
            System.out.printf("  node %d: cpus %s%n", n, nodes.get(n));
        }
        return 0;
    }
}
