package io.numarrow.numa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.threading.WorkerStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-node figures: memory from sysfs meminfo, worker counters summed by node. */
class NodeMemoryTest {
    @Test
    void readsEachNodesMeminfoAndSkipsNodesWithout(@TempDir Path root) throws Exception {
        Path n0 = Files.createDirectories(root.resolve("sys/devices/system/node/node0"));
        Files.writeString(n0.resolve("meminfo"), """
                Node 0 MemTotal:         766544 kB
                Node 0 MemFree:          600000 kB
                Node 0 MemUsed:          166544 kB
                """);
        Path n2 = Files.createDirectories(root.resolve("sys/devices/system/node/node2"));
        Files.writeString(n2.resolve("meminfo"), "Node 2 MemTotal: 1024 kB\nNode 2 MemFree: 0 kB\n");
        Files.createDirectories(root.resolve("sys/devices/system/node/node3"));
        Files.writeString(root.resolve("sys/devices/system/node/node3/meminfo"), "garbage\n");

        assertEquals(List.of(new NodeMemory(0, 766544L * 1024, 600000L * 1024), new NodeMemory(2, 1024L * 1024, 0)),
                NodeMemory.detect(root, List.of(0, 1, 2, 3)));
    }

    @Test
    void thisMachineReportsItsNodes() {
        List<Integer> nodes = NumaNodes.detect().ids();
        List<NodeMemory> memory = NodeMemory.detect(Path.of("/"), nodes);
        if (Files.isDirectory(Path.of("/sys/devices/system/node/node0"))) {
            assertEquals(nodes.size(), memory.size(), memory.toString());
            memory.forEach(m -> assertTrue(m.totalBytes() > 0 && m.freeBytes() <= m.totalBytes(), m.toString()));
        }
    }

    @Test
    void workerStatsSumPerNode() {
        List<WorkerStats> stats = List.of(new WorkerStats(0, 1, 4, 10, 2, 1, 3), new WorkerStats(1, 0, 0, 5, 0, 0, 1),
                new WorkerStats(2, 1, 5, 7, 3, 0, 0));
        Map<Integer, WorkerStats> perNode = WorkerStats.perNode(stats);
        assertEquals(List.of(0, 1), List.copyOf(perNode.keySet()));
        assertEquals(new WorkerStats(-1, 0, -1, 5, 0, 0, 1), perNode.get(0));
        assertEquals(new WorkerStats(-1, 1, -1, 17, 5, 1, 3), perNode.get(1));
        assertEquals(Map.of(), WorkerStats.perNode(List.of()));
    }
}
