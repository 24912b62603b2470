package io.numarrow.cli;

import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.KernelsAlone;
import io.numarrow.io.FinishTimes;
import io.numarrow.jit.KernelCompile;
import io.numarrow.numa.NodeMemory;
import io.numarrow.threading.WorkerStats;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;

/**
 * {@code compute --stats}: one line per share of a run's time. Read and write run on threads of
 * their own beside the compute (or, for an output computed in place, on the pool beside the next
 * batch), so their lines say how long they were busy, not how much they added to the total.
 */
final class JobStats {
    private JobStats() {
    }

    static void print(ComputeJob.Result r, KernelCompile.Result kernels, PrintStream out) {
        ComputeJob.Timings t = r.timings();
        long now = System.nanoTime();
        long uptimeMs = ManagementFactory.getRuntimeMXBean().getUptime();
        line(out, "jvm start to first batch", t == null || t.firstBatchNanoTime() == 0 ? Double.NaN
                : (uptimeMs - (now - t.firstBatchNanoTime()) / 1e6) / 1e3, "s (launcher not included)");
        if (kernels == null) {
            out.printf(Locale.ROOT, "%-26s %s%n", "kernels compiled", "n/a (no kernel ran)");
        } else if (!kernels.compiled()) {
            out.printf(Locale.ROOT, "%-26s %s%n", "kernels compiled", "n/a (" + kernels.note() + "): they compile as the job runs");
        } else {
            line(out, "kernels compiled", kernels.endUptimeMillis() / 1e3, String.format(Locale.ROOT,
                    "s of JVM uptime (%.3f s compiling them on the calling thread, before the first batch; %s)", kernels.millis() / 1e3,
                    KernelCompile.c1Note() == null ? "C1 skipped" : "C1 not skipped: " + KernelCompile.c1Note()));
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit != null && jit.isCompilationTimeMonitoringSupported()) {
            line(out, "jit compile time", jit.getTotalCompilationTime() / 1e3, "s (every method this JVM compiled, all compiler threads)");
        }
        if (t != null) {
            line(out, "setup", t.setupNanos() / 1e9, "s (open input, load weights, compile kernels, prepare weights, open output)");
            if (t.inPlace() && t.finishing().aheadBatches() > 0) {
                line(out, "input copied ahead", t.finishing().aheadNanos() / 1e9, String.format(Locale.ROOT,
                        "s (the input's kept columns of %d batches, copied into the output while the kernels compiled;"
                                + " part of setup)", t.finishing().aheadBatches()));
            }
            if (t.inPlace()) {
                line(out, "read", t.readNanos() / 1e9, "s (taking mapped batches; the kernel reads ahead)");
                line(out, "compute", t.computeNanos() / 1e9, "s (into the output's planned places: reused buffers the pool writes to the file)");
                FinishTimes f = t.finishing();
                line(out, "write", t.writeNanos() / 1e9, String.format(Locale.ROOT,
                        "s (the pool finishing batches beside the next one's tiles, wall (CPU): output columns written %.3f"
                                + " (%.3f), input's kept columns %.3f (%.3f), write-back started %.3f (%.3f) s; not hidden by"
                                + " the overlap %.3f s)",
                        f.writeNanos() / 1e9, f.writeCpuNanos() / 1e9, t.copyNanos() / 1e9, f.copyCpuNanos() / 1e9,
                        f.writeBackNanos() / 1e9, f.writeBackCpuNanos() / 1e9, t.writeWaitNanos() / 1e9));
                line(out, "commit", t.commitNanos() / 1e9, "s (sync to disk, rename; the footer was written first)");
            } else {
                line(out, "read", t.readNanos() / 1e9, "s (reader thread busy, overlapped)");
                line(out, "compute", t.computeNanos() / 1e9, "s");
                line(out, "write", t.writeNanos() / 1e9, "s (writer thread busy, overlapped)");
                line(out, "commit", t.commitNanos() / 1e9, "s (footer, flush to disk, rename)");
            }
        }
        line(out, "total", r.seconds(), "s (the job, JVM start not included)");
        out.printf(Locale.ROOT, "%-26s %,.0f%n", "rows/s", r.rowsPerSecond());
    }

    /**
     * The kernels' own time over the same rows ({@link KernelsAlone}, measured in the same run after
     * the job), and each stage of the job as a multiple of it: compute near 1× means the job's compute
     * is the kernels' speed.
     */
    static void printKernelsAlone(ComputeJob.Result r, KernelsAlone.Result alone, PrintStream out) {
        ComputeJob.Timings t = r.timings();
        double k = alone.nanos();
        StringBuilder stages = new StringBuilder();
        if (t != null && k > 0) {
            stages.append(String.format(Locale.ROOT, ": read %.2f×, compute %.2f×, write %.2f×, commit %.2f×,",
                    t.readNanos() / k, t.computeNanos() / k, t.writeNanos() / k, t.commitNanos() / k));
        }
        line(out, "kernels alone", alone.seconds(), String.format(Locale.ROOT,
                "s (the same %,d rows through the kernels again after the job, into memory%s total %.2f× this)",
                alone.rows(), stages, k > 0 ? r.nanos() / k : Double.NaN));
    }

    /** One line per NUMA node the pool's workers sit on (the node's memory, its workers' tasks and steals); one for a pool without nodes. */
    static void printPerNode(List<WorkerStats> workers, PrintStream out) {
        SortedMap<Integer, WorkerStats> byNode = WorkerStats.perNode(workers);
        List<NodeMemory> memory = NodeMemory.detect(Path.of("/"), List.copyOf(byNode.keySet()));
        byNode.forEach((node, s) -> {
            if (node < 0) { // a pool that is not NUMA-aware: no node, so no node's memory to report
                out.printf(Locale.ROOT, "%-26s %,d tasks, %,d steals (pool not placed by NUMA node)%n", "workers", s.tasksRun(), s.steals());
                return;
            }
            String mem = memory.stream().filter(m -> m.node() == node).findFirst()
                    .map(m -> String.format(Locale.ROOT, "%,d of %,d MiB free", m.freeBytes() >> 20, m.totalBytes() >> 20))
                    .orElse("memory unknown");
            out.printf(Locale.ROOT, "%-26s %s; %,d tasks, %,d steals%n", "node " + node, mem, s.tasksRun(), s.steals());
        });
    }

    private static void line(PrintStream out, String what, double seconds, String unit) {
        out.printf(Locale.ROOT, "%-26s %8.3f %s%n", what, seconds, unit);
    }
}
