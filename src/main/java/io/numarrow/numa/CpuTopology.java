package io.numarrow.numa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The CPUs this process sees: cores, hardware threads, NUMA nodes with their CPU lists, cache
 * line size. First version: reads {@code /sys/devices/system/node}; the pool work completes it.
 *
 * @param numCores       physical cores
 * @param numThreads     hardware threads (logical CPUs) usable by this process
 * @param numNumaNodes   NUMA nodes with at least one usable CPU
 * @param cacheLineSize  bytes per cache line
 * @param nodeCpus       for each node (by index), the CPU ids that belong to it
 */
public record CpuTopology(int numCores, int numThreads, int numNumaNodes, int cacheLineSize,
                          List<List<Integer>> nodeCpus) {

    public CpuTopology {
        nodeCpus = nodeCpus.stream().map(List::copyOf).toList();
    }

    public static CpuTopology detect() {
        int threads = Runtime.getRuntime().availableProcessors();
        List<List<Integer>> nodes = new ArrayList<>();
        Path nodeDir = Path.of("/sys/devices/system/node");
        if (Files.isDirectory(nodeDir)) {
            try (Stream<Path> s = Files.list(nodeDir)) {
                s.filter(p -> p.getFileName().toString().matches("node\\d+"))
                        .sorted()
                        .forEach(p -> {
                            try {
                                nodes.add(parseCpuList(Files.readString(p.resolve("cpulist")).trim()));
                            } catch (IOException e) {
                                // a node without a readable cpulist has no CPUs for us
                            }
                        });
            } catch (IOException e) {
                // no NUMA information: one node below
            }
        }
        if (nodes.isEmpty()) {
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                all.add(i);
            }
            nodes.add(all);
        }
        return new CpuTopology(threads, threads, nodes.size(), 64, nodes);
    }

    /** Parses a Linux CPU list such as {@code 0-3,8,10-11}. */
    public static List<Integer> parseCpuList(String list) {
        List<Integer> cpus = new ArrayList<>();
        if (list.isBlank()) {
            return cpus;
        }
        for (String part : list.split(",")) {
            String p = part.trim();
            int dash = p.indexOf('-');
            if (dash < 0) {
                cpus.add(Integer.parseInt(p));
            } else {
                int from = Integer.parseInt(p.substring(0, dash));
                int to = Integer.parseInt(p.substring(dash + 1));
                for (int c = from; c <= to; c++) {
                    cpus.add(c);
                }
            }
        }
        return cpus;
    }
}
