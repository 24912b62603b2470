package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one worker has done since its pool started; a snapshot, each counter read on its own.
 *
 * @param worker       the worker's index in its pool
 * @param node         its NUMA node (kernel id), -1 when the pool is not NUMA-aware
 * @param cpu          the CPU it is pinned to, -1 when not pinned (or pinning was refused)
 * @param tasksRun     tasks it ran (not counting ones it found already run or cancelled)
 * @param steals       tasks it took from other workers' queues
 * @param failedSteals steals it lost to another thief taking the same task first
 * @param parks        times it parked after spinning idle for the configured spin time
 */
public record WorkerStats(int worker, int node, int cpu, long tasksRun, long steals, long failedSteals, long parks) {
    /** The sum of the counters of {@code all} (worker, node and cpu -1). */
    public static WorkerStats total(Iterable<WorkerStats> all) {
        long run = 0;
        long stolen = 0;
        long failed = 0;
        long parked = 0;
        for (WorkerStats s : all) {
            run += s.tasksRun;
            stolen += s.steals;
            failed += s.failedSteals;
            parked += s.parks;
        }
        return new WorkerStats(-1, -1, -1, run, stolen, failed, parked);
    }

    /**
     * The counters of {@code all} summed per NUMA node (worker and cpu -1), by node id; workers
     * of a pool that is not NUMA-aware count under node -1.
     */
    public static SortedMap<Integer, WorkerStats> perNode(Iterable<WorkerStats> all) {
        SortedMap<Integer, List<WorkerStats>> byNode = new TreeMap<>();
        for (WorkerStats s : all) {
            byNode.computeIfAbsent(s.node, n -> new ArrayList<>()).add(s);
        }
        SortedMap<Integer, WorkerStats> sums = new TreeMap<>();
        byNode.forEach((node, stats) -> {
            WorkerStats t = total(stats);
            sums.put(node, new WorkerStats(-1, node, -1, t.tasksRun, t.steals, t.failedSteals, t.parks));
        });
        return sums;
    }
}
