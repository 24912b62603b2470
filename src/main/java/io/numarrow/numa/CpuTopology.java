package io.numarrow.numa;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
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
        List<Integer> affinity = affinityFromProc(Path.of("/proc/thread-self/status"));
        if (affinity == null && LinuxSched.isAvailable()) {
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
     * The calling thread's affinity mask as its {@code status} file gives it ({@code Cpus_allowed_list}, the
     * mask {@code sched_getaffinity} returns), or null when the file or the line is missing: read as text, so
     * that a pool's start links no native call (linking one spins classes of its own, tens of milliseconds at
     * a JVM's start).
     */
    static List<Integer> affinityFromProc(Path status) {
        Optional<String> text = readString(status);
        if (text.isEmpty()) {
            return null;
        }
        for (String line : text.get().split("\n")) {
            if (line.startsWith("Cpus_allowed_list:")) {
                try {
                    List<Integer> cpus = parseCpuList(line.substring("Cpus_allowed_list:".length()).trim());
                    return cpus.isEmpty() ? null : cpus;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * The machine whose {@code /sys} and {@code /proc} files sit under {@code root} (a fixture
     * tree in tests, {@code /} for real), for a process whose affinity mask is {@code affinity}
     * ({@code null}: every online CPU).
     */
    public static CpuTopology detect(Path root, Collection<Integer> affinity) {
        Path cpuDir = root.resolve("sys/devices/system/cpu");
        // read only where sysfs lacks a file (it rarely does): parsing it is most of a start's topology read
        Cpuinfo cpuinfo = new Cpuinfo(root.resolve("proc/cpuinfo"));
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
            Path topo = cpuDir.resolve("cpu" + id).resolve("topology");
            int pkg = readIntOr(topo.resolve("physical_package_id"), cpuinfo, id, "physical id", 0);
            // without core information every CPU counts as its own core
            int core = readIntOr(topo.resolve("core_id"), cpuinfo, id, "core id", id);
            int node = nodeOfCpu.getOrDefault(id, firstNode);
            cpus.add(new Cpu(id, pkg, core, node));
            cores.add(((long) pkg << 32) | (core & 0xffffffffL));
            List<Integer> ofNode = byNode.get(node);
            if (ofNode == null) {
                ofNode = new ArrayList<>();
                byNode.put(node, ofNode);
            }
            ofNode.add(id);
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

    private static Set<Integer> onlineCpus(Path cpuDir, Cpuinfo cpuinfo) {
        Optional<String> online = readString(cpuDir.resolve("online"));
        if (online.isPresent()) {
            return new TreeSet<>(parseCpuList(online.get()));
        }
        Set<Integer> found = new TreeSet<>();
        if (Files.isDirectory(cpuDir)) {
            try (Stream<Path> s = Files.list(cpuDir)) {
                s.map(p -> p.getFileName().toString()).filter(n -> isNumbered(n, "cpu"))
                        .map(n -> Integer.parseInt(n.substring(3)))
                        .filter(id -> !"0".equals(readString(cpuDir.resolve("cpu" + id).resolve("online")).orElse("1")))
                        .forEach(found::add);
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", cpuDir, e.toString());
            }
        }
        if (found.isEmpty()) {
            found.addAll(cpuinfo.all().keySet());
        }
        return found;
    }

    private static Map<Integer, Integer> readNodes(Path nodeDir) {
        Map<Integer, Integer> nodeOfCpu = new HashMap<>();
        if (!Files.isDirectory(nodeDir)) {
            return nodeOfCpu;
        }
        // loops rather than streams and lambdas: this runs at every pool's start, mostly interpreted
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(nodeDir)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!isNumbered(name, "node")) {
                    continue;
                }
                int node = Integer.parseInt(name.substring(4));
                Optional<String> list = readString(p.resolve("cpulist"));
                if (list.isPresent()) {
                    for (int cpu : parseCpuList(list.get())) {
                        nodeOfCpu.put(cpu, node);
                    }
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            LOG.debug("cannot list {}: {}", nodeDir, e.toString());
        }
        return nodeOfCpu;
    }

    private static int cacheLineSize(Path cpuDir, Set<Integer> usable, Cpuinfo cpuinfo) {
        for (int cpu : usable) {
            Optional<Integer> sysfs = readInt(cpuDir.resolve("cpu" + cpu + "/cache/index0/coherency_line_size"));
            if (sysfs.isPresent() && sysfs.get() > 0) {
                return sysfs.get();
            }
            Map<String, String> info = cpuinfo.of(cpu);
            Optional<Integer> fromInfo = parseInt(info.get("cache_alignment")).or(() -> parseInt(info.get("clflush size")));
            if (fromInfo.isPresent() && fromInfo.get() > 0) {
                return fromInfo.get();
            }
        }
        return DEFAULT_CACHE_LINE;
    }

    /** {@code /proc/cpuinfo}, read the first time a field is asked for. */
    private static final class Cpuinfo {
        private final Path file;
        private Map<Integer, Map<String, String>> blocks;

        Cpuinfo(Path file) {
            this.file = file;
        }

        Map<Integer, Map<String, String>> all() {
            if (blocks == null) {
                blocks = readCpuinfo(file);
            }
            return blocks;
        }

        /** The {@code key: value} lines of {@code cpu}'s block; empty when it has none. */
        Map<String, String> of(int cpu) {
            return all().getOrDefault(cpu, Map.of());
        }
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

    /** The number in {@code file}, else {@code key}'s in {@code cpu}'s block of {@code /proc/cpuinfo}, else {@code otherwise}. */
    private static int readIntOr(Path file, Cpuinfo cpuinfo, int cpu, String key, int otherwise) {
        Optional<Integer> v = readInt(file);
        if (v.isPresent()) {
            return v.get();
        }
        return parseInt(cpuinfo.of(cpu).get(key)).orElse(otherwise);
    }

    /** Whether {@code name} is {@code prefix} followed by one or more digits ({@code node0}). */
    private static boolean isNumbered(String name, String prefix) {
        if (name.length() <= prefix.length() || !name.startsWith(prefix)) {
            return false;
        }
        for (int i = prefix.length(); i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return true;
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
