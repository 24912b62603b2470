package io.numarrow.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.numarrow.BadInputException;
import io.numarrow.Settings;
import io.numarrow.kernels.CpuIdentity;
import io.numarrow.kernels.FmaPeak;
import io.numarrow.kernels.Matmul;
import io.numarrow.numa.CpuTopology;
import io.numarrow.numa.NodeMemory;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkerPlacement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code numarrow topology}: what {@link CpuTopology#detect()} sees, and where a pool's workers would run. */
@Command(name = "topology", mixinStandardHelpOptions = true,
        description = "Show the CPUs and NUMA nodes numarrow may use, and how a default pool would place its workers.")
final class TopologyCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--threads", paramLabel = "N", description = "Place N workers (default: the default pool's size).")
    Integer threads;

    @Option(names = "--numa-aware", description = "Show a NUMA-aware pool's placement (workers dealt out over the nodes).")
    boolean numaAware;

    @Option(names = "--pin", description = "Show a pinned pool's placement (one CPU per worker).")
    boolean pin;

    @Option(names = "--root", paramLabel = "DIR", description = "Read another machine's /sys and /proc copied under DIR "
            + "(e.g. data/topology/epyc-4node); its 'affinity' file, if any, stands for the affinity mask.")
    Path root;

    @Option(names = "--peak", description = "Measure this core's Java FMA peak (about 0.3 s) and show it with the CPU model.")
    boolean peak;

    @Option(names = "--verbose", description = "Also show the numarrow.* settings in force (system properties, docs/api.md).")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        CpuTopology t = detect();
        ThreadCount.check(threads);
        int workers = threads != null ? threads : t.defaultWorkerCount();
        List<WorkerPlacement> plan = WorkerPlacement.plan(t, workers, numaAware, pin);
        if (json) {
            System.out.println(json(t, workers, plan));
        } else {
            printText(t, workers, plan);
        }
        return 0;
    }

    private CpuTopology detect() throws IOException {
        if (root == null) {
            return CpuTopology.detect();
        }
        if (!Files.isDirectory(root)) {
            throw new BadInputException("--root " + root + " is not a directory");
        }
        Path affinityFile = root.resolve("affinity");
        List<Integer> affinity = Files.isRegularFile(affinityFile)
                ? CpuTopology.parseCpuList(Files.readString(affinityFile).trim()) : null;
        CpuTopology t = CpuTopology.detect(root, affinity);
        if (t.numThreads() == 0) {
            throw new BadInputException("--root " + root + " holds no usable CPU (no sys/devices/system/cpu/online or proc/cpuinfo)");
        }
        return t;
    }

    private void printText(CpuTopology t, int workers, List<WorkerPlacement> plan) {
        System.out.printf("CPUs this process may use%s:%n", root == null ? "" : " (machine under " + root + ")");
        System.out.printf("  %d hardware threads on %d cores, %d NUMA node%s, cache line %d bytes%n",
                t.numThreads(), t.numCores(), t.numNumaNodes(), t.numNumaNodes() == 1 ? "" : "s", t.cacheLineSize());
        System.out.printf("  cgroup CPU quota: %s%n", t.cpuQuota().isPresent()
                ? String.format(Locale.ROOT, "%.2f CPUs", t.cpuQuota().getAsDouble()) : "none");
        for (int i = 0; i < t.nodeIds().size(); i++) {
            List<Integer> cpus = t.nodeCpus().get(i);
            long cores = t.cpus().stream().filter(c -> cpus.contains(c.id()))
                    .map(c -> c.packageId() + ":" + c.coreId()).distinct().count();
            int node = t.nodeIds().get(i);
            String memory = NodeMemory.detect(root == null ? Path.of("/") : root, List.of(node))
                    .stream().map(m -> String.format(Locale.ROOT, ", memory %.1f GiB (%.1f GiB free)",
                            m.totalBytes() / 1073741824.0, m.freeBytes() / 1073741824.0))
                    .findFirst().orElse("");
            System.out.printf("  node %d: CPUs %s (%d cores)%s%n", node, CpuTopology.formatCpuList(cpus), cores, memory);
        }
        ThreadPoolConfig d = ThreadPoolConfig.defaults();
        System.out.printf("%s pool: %d workers%s, work stealing %s, idle spin %d µs, %s, %s%n",
                threads == null && !numaAware && !pin ? "Default" : "This",
                workers, threads == null ? " (usable CPUs within the quota)" : "",
                d.enableWorkStealing() ? "on" : "off", d.spinTime().toNanos() / 1000,
                numaAware ? "NUMA-aware" : "not NUMA-aware", pin ? "pinned" : "not pinned");
        for (WorkerPlacement p : plan) {
            String where;
            if (p.cpu() >= 0) {
                where = "pinned to CPU " + p.cpu();
            } else if (!p.allowedCpus().isEmpty()) {
                where = "on CPUs " + CpuTopology.formatCpuList(p.allowedCpus());
            } else {
                where = "on any of CPUs " + CpuTopology.formatCpuList(t.usableCpus()) + " (the OS decides)";
            }
            System.out.printf("  worker %d: %s%s%n", p.worker(), where, p.node() >= 0 ? ", node " + p.node() : "");
        }
        if (!numaAware && !pin) {
            System.out.println("  (--numa-aware and --pin show the placement of such pools)");
        }
        if (root == null) {
            printKernels();
        }
        if (verbose) {
            printSettings();
        }
    }

    /** Every numarrow.* setting with the value in force, and whether it was set or is the default. */
    private static void printSettings() {
        System.out.println("Settings (-Dname=value; docs/api.md):");
        for (Settings.Setting s : Settings.all()) {
            System.out.printf("  %s=%s%s%n      %s%n", s.name(), s.inForce(), s.isSet() ? " (set)" : " (default)", s.meaning());
        }
    }

    /** The CPU, the matmul kernel this JVM chose and why, and with --peak the measured FMA peak. */
    private void printKernels() {
        CpuIdentity cpu = CpuIdentity.current();
        System.out.printf("CPU: %s%n  vector features: %s%n  JVM: %s%n", cpu.model(), cpu.features(), cpu.jvmIsa());
        System.out.println("Matmul kernel:");
        for (String line : Matmul.kernelChoice()) {
            System.out.println("  " + line);
        }
        if (peak) {
            double gflops = FmaPeak.gflopsPerThread(300_000_000L);
            System.out.printf(Locale.ROOT, "FMA peak: %.1f GFLOPS per thread (%s)%n", gflops, FmaPeak.describe());
        } else {
            System.out.println("  (--peak measures this core's FMA peak)");
        }
    }

    private static String json(CpuTopology t, int workers, List<WorkerPlacement> plan) {
        String nodes = t.nodeCpus().stream().map(TopologyCommand::intArray).collect(Collectors.joining(",", "[", "]"));
        String cpus = t.cpus().stream()
                .map(c -> String.format("{\"id\":%d,\"package\":%d,\"core\":%d,\"node\":%d}", c.id(), c.packageId(), c.coreId(), c.node()))
                .collect(Collectors.joining(",", "[", "]"));
        String placement = plan.stream()
                .map(p -> String.format("{\"worker\":%d,\"node\":%d,\"cpu\":%d,\"allowedCpus\":%s}",
                        p.worker(), p.node(), p.cpu(), intArray(p.allowedCpus())))
                .collect(Collectors.joining(",", "[", "]"));
        String quota = t.cpuQuota().isPresent() ? String.format(Locale.ROOT, "%.4f", t.cpuQuota().getAsDouble()) : "null";
        boolean numaAware = plan.stream().anyMatch(p -> p.node() >= 0);
        boolean pinned = plan.stream().anyMatch(p -> p.cpu() >= 0);
        return String.format("{\"numCores\":%d,\"numThreads\":%d,\"numNumaNodes\":%d,\"cacheLineSize\":%d,\"nodeCpus\":%s,"
                        + "\"nodeIds\":%s,\"cpuQuota\":%s,\"cpus\":%s,\"pool\":{\"workers\":%d,\"numaAware\":%b,\"pinned\":%b,\"placement\":%s},"
                        + "\"settings\":%s}",
                t.numCores(), t.numThreads(), t.numNumaNodes(), t.cacheLineSize(), nodes, intArray(t.nodeIds()), quota, cpus,
                workers, numaAware, pinned, placement, settingsJson());
    }

    /** {@code {"numarrow.gemm.kc":{"value":"0","set":false},...}}: each setting's text in force. */
    private static String settingsJson() {
        return Settings.all().stream()
                .map(s -> "\"" + s.name() + "\":{\"value\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s.inForce())) + "\",\"set\":" + s.isSet() + "}")
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static String intArray(List<Integer> list) {
        return list.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }
}
