package io.numarrow.numa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPUs this process may use: cores, hardware threads, NUMA nodes with their CPU lists, cache
 * line size, and the cgroup CPU quota. Read from {@code /sys/devices/system/{cpu,node}}, with
 * {@code /proc/cpuinfo} where sysfs lacks the {@code topology/} or {@code cache/} folders, and
 * restricted to the online CPUs in this process's affinity mask.
 *
 * @param numCores       physical cores among the usable CPUs
 * @param numThreads     hardware threads (logical CPUs) usable by this process
 * @param numNumaNodes   NUMA nodes with at least one usable CPU
 * @param cacheLineSize  bytes per cache line
 * @param nodeCpus       for each node (by index, see {@code nodeIds}), its usable CPU ids, ascending
 * @param nodeIds        the kernel's id of each node in {@code nodeCpus} (ids can have gaps)
 * @param cpus           every usable CPU with its package, core and node, by ascending id
 * @param cpuQuota       CPUs' worth of time the cgroup allows (e.g. 1.5), empty when unlimited
 */
public record CpuTopology(int numCores, int numThreads, int numNumaNodes, int cacheLineSize,
                          List<List<Integer>> nodeCpus, List<Integer> nodeIds, List<Cpu> cpus,
                          OptionalDouble cpuQuota) {
    private static final Logger LOG = LoggerFactory.getLogger(CpuTopology.class);
    private static final int DEFAULT_CACHE_LINE = 64;

    /** One usable logical CPU: {@code packageId} and {@code coreId} together name its core. */
    public record Cpu(int id, int packageId, int coreId, int node) {
    }

    public CpuTopology {
        nodeCpus = nodeCpus.stream().map(List::copyOf).toList();
        nodeIds = List.copyOf(nodeIds);
        cpus = List.copyOf(cpus);
        if (nodeIds.size() != nodeCpus.size()) {
            throw new IllegalArgumentException("nodeIds has " + nodeIds.size() + " entries, nodeCpus " + nodeCpus.size());
        }
    }

    /** The first version's shape: nodes numbered 0.., every CPU its own core, no quota. */
    public CpuTopology(int numCores, int numThreads, int numNumaNodes, int cacheLineSize, List<List<Integer>> nodeCpus) {
        this(numCores, numThreads, numNumaNodes, cacheLineSize, nodeCpus,
                Stream.iterate(0, i -> i + 1).limit(nodeCpus.size()).toList(), cpusOf(nodeCpus), OptionalDouble.empty());
    }

    private static List<Cpu> cpusOf(List<List<Integer>> nodeCpus) {
        List<Cpu> list = new ArrayList<>();
        for (int n = 0; n < nodeCpus.size(); n++) {
            for (int c : nodeCpus.get(n)) {
                list.add(new Cpu(c, 0, c, n));
            }
        }
        list.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return list;
    }

    /** This machine, as this process sees it. */
    public static CpuTopology detect() {
        List<Integer> affinity = null;
        if (LinuxSched.isAvailable()) {
            try {
                affinity = LinuxSched.currentThreadAffinity();
            } catch (RuntimeException e) {
                LOG.debug("sched_getaffinity failed, using every online CPU: {}", e.toString());
            }
        }
        CpuTopology t = detect(Path.of("/"), affinity);
        if (t.numThreads() == 0) {
            return fallback();
        }
        return t;
    }

    /**
     * The machine whose {@code /sys} and {@code /proc} files sit under {@code root} (a fixture
     * tree in tests, {@code /} for real), for a process whose affinity mask is {@code affinity}
     * ({@code null}: every online CPU).
     */
    public static CpuTopology detect(Path root, Collection<Integer> affinity) {
        Path cpuDir = root.resolve("sys/devices/system/cpu");
        Map<Integer, Map<String, String>> cpuinfo = readCpuinfo(root.resolve("proc/cpuinfo"));
        Set<Integer> online = onlineCpus(cpuDir, cpuinfo);
        Set<Integer> usable = new TreeSet<>(online);
        if (affinity != null) {
            usable.retainAll(new HashSet<>(affinity));
        }
        Map<Integer, Integer> nodeOfCpu = readNodes(root.resolve("sys/devices/system/node"));
        int firstNode = nodeOfCpu.values().stream().mapToInt(Integer::intValue).min().orElse(0);

        List<Cpu> cpus = new ArrayList<>();
        Set<Long> cores = new HashSet<>();
        TreeMap<Integer, List<Integer>> byNode = new TreeMap<>();
        for (int id : usable) {
            Map<String, String> info = cpuinfo.getOrDefault(id, Map.of());
            Path topo = cpuDir.resolve("cpu" + id).resolve("topology");
            int pkg = readInt(topo.resolve("physical_package_id"))
                    .or(() -> parseInt(info.get("physical id"))).orElse(0);
            // without core information every CPU counts as its own core
            int core = readInt(topo.resolve("core_id")).or(() -> parseInt(info.get("core id"))).orElse(id);
            int node = nodeOfCpu.getOrDefault(id, firstNode);
            cpus.add(new Cpu(id, pkg, core, node));
            cores.add(((long) pkg << 32) | (core & 0xffffffffL));
            byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(id);
        }
        int cacheLine = cacheLineSize(cpuDir, usable, cpuinfo);
        return new CpuTopology(cores.size(), cpus.size(), byNode.size(), cacheLine,
                new ArrayList<>(byNode.values()), new ArrayList<>(byNode.keySet()), cpus, CgroupCpuQuota.read(root));
    }

    private static CpuTopology fallback() {
        int n = Runtime.getRuntime().availableProcessors();
        List<Integer> all = Stream.iterate(0, i -> i + 1).limit(n).toList();
        return new CpuTopology(n, n, 1, DEFAULT_CACHE_LINE, List.of(all));
    }

    /**
     * Workers a default pool starts: the usable CPUs, but no more than the cgroup quota
     * (rounded up) lets run at once.
     */
    public int defaultWorkerCount() {
        int n = Math.max(1, numThreads);
        if (cpuQuota.isPresent()) {
            n = Math.min(n, (int) Math.max(1, Math.ceil(cpuQuota.getAsDouble() - 1e-9)));
        }
        return n;
    }

    /** The node id of {@code cpu}, or -1 when it is not a usable CPU. */
    public int nodeOf(int cpu) {
        for (Cpu c : cpus) {
            if (c.id() == cpu) {
                return c.node();
            }
        }
        return -1;
    }

    /** The usable CPU ids of the node with kernel id {@code nodeId}; empty when it has none. */
    public List<Integer> cpusOfNode(int nodeId) {
        int i = nodeIds.indexOf(nodeId);
        return i < 0 ? List.of() : nodeCpus.get(i);
    }

    /** Every usable CPU id, ascending. */
    public List<Integer> usableCpus() {
        return cpus.stream().map(Cpu::id).toList();
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

    /** Formats CPU ids as a Linux CPU list, such as {@code 0-3,8}. */
    public static String formatCpuList(Collection<Integer> cpus) {
        StringBuilder sb = new StringBuilder();
        List<Integer> sorted = new ArrayList<>(new TreeSet<>(cpus));
        for (int i = 0; i < sorted.size(); ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
                j++;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(sorted.get(i));
            if (j > i) {
                sb.append('-').append(sorted.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }

    private static Set<Integer> onlineCpus(Path cpuDir, Map<Integer, Map<String, String>> cpuinfo) {
        Optional<String> online = readString(cpuDir.resolve("online"));
        if (online.isPresent()) {
            return new TreeSet<>(parseCpuList(online.get()));
        }
        Set<Integer> found = new TreeSet<>();
        if (Files.isDirectory(cpuDir)) {
            try (Stream<Path> s = Files.list(cpuDir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> n.matches("cpu\\d+"))
                        .map(n -> Integer.parseInt(n.substring(3)))
                        .filter(id -> !"0".equals(readString(cpuDir.resolve("cpu" + id).resolve("online")).orElse("1")))
                        .forEach(found::add);
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", cpuDir, e.toString());
            }
        }
        if (found.isEmpty()) {
            found.addAll(cpuinfo.keySet());
        }
        return found;
    }

    private static Map<Integer, Integer> readNodes(Path nodeDir) {
        Map<Integer, Integer> nodeOfCpu = new HashMap<>();
        if (!Files.isDirectory(nodeDir)) {
            return nodeOfCpu;
        }
        try (Stream<Path> s = Files.list(nodeDir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("node\\d+")).toList()) {
                int node = Integer.parseInt(p.getFileName().toString().substring(4));
                readString(p.resolve("cpulist")).ifPresent(list -> {
                    for (int cpu : parseCpuList(list)) {
                        nodeOfCpu.put(cpu, node);
                    }
                });
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", nodeDir, e.toString());
        }
        return nodeOfCpu;
    }

    private static int cacheLineSize(Path cpuDir, Set<Integer> usable, Map<Integer, Map<String, String>> cpuinfo) {
        for (int cpu : usable) {
            Optional<Integer> sysfs = readInt(cpuDir.resolve("cpu" + cpu + "/cache/index0/coherency_line_size"));
            if (sysfs.isPresent() && sysfs.get() > 0) {
                return sysfs.get();
            }
            Map<String, String> info = cpuinfo.getOrDefault(cpu, Map.of());
            Optional<Integer> fromInfo = parseInt(info.get("cache_alignment")).or(() -> parseInt(info.get("clflush size")));
            if (fromInfo.isPresent() && fromInfo.get() > 0) {
                return fromInfo.get();
            }
        }
        return DEFAULT_CACHE_LINE;
    }

    /** {@code processor} number → that block's {@code key: value} lines. */
    static Map<Integer, Map<String, String>> readCpuinfo(Path file) {
        Map<Integer, Map<String, String>> result = new HashMap<>();
        Optional<String> text = readString(file);
        if (text.isEmpty()) {
            return result;
        }
        for (String block : text.get().split("\\n\\s*\\n")) {
            Map<String, String> fields = new HashMap<>();
            for (String line : block.split("\\n")) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
            parseInt(fields.get("processor")).ifPresent(p -> result.put(p, fields));
        }
        return result;
    }

    static Optional<String> readString(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file).trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> readInt(Path file) {
        return readString(file).flatMap(CpuTopology::parseInt);
    }

    private static Optional<Integer> parseInt(String s) {
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(s.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
