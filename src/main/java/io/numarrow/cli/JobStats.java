package io.numarrow.cli;

import io.numarrow.compute.ComputeJob;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * {@code compute --stats}: one line per share of a run's time. Read and write run on threads of
 * their own beside the compute, so their lines say how long those threads were busy, not how
 * much they added to the total.
 */
final class JobStats {
    private JobStats() {
    }

    static void print(ComputeJob.Result r, long warmupNanos, PrintStream out) {
        ComputeJob.Timings t = r.timings();
        long now = System.nanoTime();
        long uptimeMs = ManagementFactory.getRuntimeMXBean().getUptime();
        line(out, "jvm start to first batch", t == null || t.firstBatchNanoTime() == 0 ? Double.NaN
                : (uptimeMs - (now - t.firstBatchNanoTime()) / 1e6) / 1e3, "s (launcher not included)");
        if (warmupNanos < 0) {
            out.printf(Locale.ROOT, "%-26s %s%n", "warm-up", "still running");
        } else {
            line(out, "warm-up", warmupNanos / 1e9, warmupNanos == 0 ? "s (none ran)" : "s (in the background)");
        }
        if (t != null) {
            line(out, "setup", t.setupNanos() / 1e9, "s (open input, load and prepare weights, open output)");
            line(out, "read", t.readNanos() / 1e9, "s (reader thread busy, overlapped)");
            line(out, "compute", t.computeNanos() / 1e9, "s");
            line(out, "write", t.writeNanos() / 1e9, "s (writer thread busy, overlapped)");
            line(out, "commit", t.commitNanos() / 1e9, "s (footer, flush to disk, rename)");
        }
        line(out, "total", r.seconds(), "s (the job, JVM start not included)");
        out.printf(Locale.ROOT, "%-26s %,.0f%n", "rows/s", r.rowsPerSecond());
    }

    private static void line(PrintStream out, String what, double seconds, String unit) {
        out.printf(Locale.ROOT, "%-26s %8.3f %s%n", what, seconds, unit);
    }
}
