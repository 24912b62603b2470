package io.numarrow.numa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The NUMA nodes that hold memory, by id (ids may have gaps, such as {@code 0,2}). Detected from
 * {@code /sys/devices/system/node/has_memory}; tests build fake ones with {@link #of}.
 */
public record NumaNodes(List<Integer> ids) {
    private static final Path SYS_NODES = Path.of("/sys/devices/system/node");

    public NumaNodes {
        ids = List.copyOf(ids);
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("a machine has at least one NUMA node");
        }
        for (int id : ids) {
            if (id < 0 || id >= LinuxMemory.MAX_NODES) {
                throw new IllegalArgumentException("NUMA node id " + id + " is outside 0.." + (LinuxMemory.MAX_NODES - 1));
            }
        }
    }

    public static NumaNodes of(Integer... ids) {
        return new NumaNodes(Arrays.asList(ids));
    }

    /** The memory nodes of this machine; one node 0 when the kernel shows none. */
    public static NumaNodes detect() {
        for (String file : new String[] {"has_memory", "online"}) {
            try {
                List<Integer> ids = CpuTopology.parseCpuList(Files.readString(SYS_NODES.resolve(file)).trim());
                if (!ids.isEmpty()) {
                    return new NumaNodes(ids);
                }
            } catch (IOException | RuntimeException e) {
                // try the next source; a machine without /sys NUMA information has one node
            }
        }
        return of(0);
    }

    public int count() {
        return ids.size();
    }

    public boolean contains(int node) {
        return ids.contains(node);
    }

    /** The position of {@code node} in {@link #ids()}, or -1. */
    public int indexOf(int node) {
        return ids.indexOf(node);
    }

    public int[] toArray() {
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Fails with a message naming the node and the nodes that exist. */
    public void require(int node) {
        if (!contains(node)) {
            throw new IllegalArgumentException("NUMA node " + node + " does not exist on this machine (memory nodes: "
                    + ids + ")");
        }
    }
}
