package io.numarrow.numa;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The CPU time a process's cgroup allows, in CPUs (a quota of 150 ms per 100 ms period is 1.5):
 * cgroup v2 {@code cpu.max} or v1 {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us}, the
 * smallest along the path from the process's cgroup up to the root of the hierarchy, because a
 * parent's limit binds its children too.
 */
final class CgroupCpuQuota {
    private static final String[] V1_MOUNTS = {"cpu", "cpu,cpuacct", "cpuacct,cpu"};

    private CgroupCpuQuota() {
    }

    /** The quota for the machine rooted at {@code root}; empty when there is none. */
    static OptionalDouble read(Path root) {
        Path fs = root.resolve("sys/fs/cgroup");
        double best = Double.POSITIVE_INFINITY;
        Optional<String> membership = CpuTopology.readString(root.resolve("proc/self/cgroup"));
        List<String> lines = membership.map(s -> List.of(s.split("\\n"))).orElse(List.of("0::/"));
        for (String line : lines) {
            String[] parts = line.split(":", 3);
            if (parts.length < 3) {
                continue;
            }
            String path = parts[2].trim();
            if (parts[0].equals("0") && parts[1].isEmpty()) {
                best = Math.min(best, alongPath(fs, path, true));
            } else if (List.of(parts[1].split(",")).contains("cpu")) {
                for (String mount : V1_MOUNTS) {
                    best = Math.min(best, alongPath(fs.resolve(mount), path, false));
                }
            }
        }
        return Double.isInfinite(best) ? OptionalDouble.empty() : OptionalDouble.of(best);
    }

    private static double alongPath(Path mount, String cgroupPath, boolean v2) {
        double best = Double.POSITIVE_INFINITY;
        List<Path> dirs = new ArrayList<>();
        Path dir = mount;
        dirs.add(dir);
        for (String part : cgroupPath.split("/")) {
            if (!part.isEmpty()) {
                dir = dir.resolve(part);
                dirs.add(dir);
            }
        }
        for (Path d : dirs) {
            double q = v2 ? v2Quota(d) : v1Quota(d);
            best = Math.min(best, q);
        }
        return best;
    }

    private static double v2Quota(Path dir) {
        Optional<String> max = CpuTopology.readString(dir.resolve("cpu.max"));
        if (max.isEmpty()) {
            return Double.POSITIVE_INFINITY;
        }
        String[] f = max.get().split("\\s+");
        if (f.length < 1 || f[0].equals("max")) {
            return Double.POSITIVE_INFINITY;
        }
        double period = f.length > 1 ? parse(f[1]) : 100_000;
        return ratio(parse(f[0]), period);
    }

    private static double v1Quota(Path dir) {
        double quota = CpuTopology.readString(dir.resolve("cpu.cfs_quota_us")).map(CgroupCpuQuota::parse).orElse(-1.0);
        double period = CpuTopology.readString(dir.resolve("cpu.cfs_period_us")).map(CgroupCpuQuota::parse).orElse(100_000.0);
        return ratio(quota, period);
    }

    private static double ratio(double quota, double period) {
        return quota > 0 && period > 0 ? quota / period : Double.POSITIVE_INFINITY;
    }

    private static double parse(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
