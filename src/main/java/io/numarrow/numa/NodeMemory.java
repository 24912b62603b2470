package io.numarrow.numa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory of one NUMA node as the kernel reports it ({@code /sys/devices/system/node/nodeN/meminfo}).
 *
 * @param node       kernel node id
 * @param totalBytes MemTotal of the node
 * @param freeBytes  MemFree of the node
 */
public record NodeMemory(int node, long totalBytes, long freeBytes) {
    private static final Pattern LINE = Pattern.compile("Node\\s+\\d+\\s+(MemTotal|MemFree):\\s+(\\d+)\\s+kB");

    /** Every node's memory under {@code root} ({@code /} for this machine); empty when sysfs has none. */
    public static List<NodeMemory> detect(Path root, List<Integer> nodes) {
        List<NodeMemory> out = new ArrayList<>();
        for (int node : nodes) {
            Path file = root.resolve("sys/devices/system/node/node" + node + "/meminfo");
            try {
                long total = -1;
                long free = -1;
                for (String line : Files.readAllLines(file)) {
                    Matcher m = LINE.matcher(line.strip());
                    if (m.matches()) {
                        long bytes = Long.parseLong(m.group(2)) * 1024;
                        if (m.group(1).equals("MemTotal")) {
                            total = bytes;
                        } else {
                            free = bytes;
                        }
                    }
                }
                if (total >= 0 && free >= 0) {
                    out.add(new NodeMemory(node, total, free));
                }
            } catch (IOException | RuntimeException e) {
                // a fixture or a container without per-node meminfo: report what is there
            }
        }
        return out;
    }
}
