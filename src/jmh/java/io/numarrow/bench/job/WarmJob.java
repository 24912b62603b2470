package io.numarrow.bench.job;

import io.numarrow.bench.Median;
import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.KernelsAlone;
import io.numarrow.compute.Ops;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The job as a JVM that stays up runs it (a Spark executor, a notebook, a service): the public
 * {@code ComputeJob.run} {@value #RUNS} times in this JVM, input columns kept and then dropped, the
 * figure being the median of runs 3-{@value #RUNS} (the first two carry the JIT); then the kernels
 * alone over the same rows ({@link KernelsAlone}). The caller sets these against the numpy script's
 * wall, measured in the same run.
 */
final class WarmJob {
    static final int RUNS = 5;
    /** Runs from which the figure is taken (0-based): the third on. */
    private static final int FIRST_WARM = 2;

    /**
     * Median and range of the warm runs, the fourth run's stage times, and the median of the warm
     * runs' compute stages (a single run's compute moves by a tenth between runs).
     */
    record Figure(double median, double min, double max, ComputeJob.Timings fourth, double computeMedian) {
        static Figure of(double[] seconds, ComputeJob.Timings fourth, double[] computeSeconds) {
            double[] warm = warm(seconds);
            return new Figure(Median.of(warm), warm[0], warm[warm.length - 1], fourth, Median.of(warm(computeSeconds)));
        }

        private static double[] warm(double[] runs) {
            double[] warm = Arrays.copyOfRange(runs, Math.min(FIRST_WARM, runs.length - 1), runs.length);
            Arrays.sort(warm);
            return warm;
        }

        String range() {
            return String.format(Locale.ROOT, "%.3f s (%.3f-%.3f)", median, min, max);
        }
    }

    record Figures(Figure kept, Figure dropped, Figure kernels) {
    }

    private WarmJob() {
    }

    /** {@code dir} holds {@code batch.arrow} and {@code weights.arrow}; the outputs go beside them and are deleted. */
    static Figures measure(Path dir) throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().build())) {
            ParallelOps ops = new ParallelOps(pool);
            Path out = dir.resolve("warm-out.arrow");
            ComputeJob.Spec kept = new ComputeJob.Spec(dir.resolve("batch.arrow"), dir.resolve("weights.arrow"), out,
                    "features", Ops.MATMUL_SOFTMAX, "output");
            ComputeJob.Spec dropped = new ComputeJob.Spec(kept.input(), kept.weights(), out, "features", Ops.MATMUL_SOFTMAX,
                    "output", false, null);
            Figure k = runs(kept, ops, allocator);
            Figure d = runs(dropped, ops, allocator);
            Files.deleteIfExists(out);
            double[] alone = new double[3];
            for (int i = 0; i < alone.length; i++) {
                alone[i] = KernelsAlone.measure(kept, ops, allocator).seconds();
            }
            Arrays.sort(alone);
            return new Figures(k, d, new Figure(alone[1], alone[0], alone[2], null, Double.NaN));
        }
    }

    private static Figure runs(ComputeJob.Spec spec, ParallelOps ops, BufferAllocator allocator) {
        double[] seconds = new double[RUNS];
        double[] compute = new double[RUNS];
        ComputeJob.Timings fourth = null;
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            ComputeJob.Result r = ComputeJob.run(spec, ops, allocator);
            seconds[i] = (System.nanoTime() - start) / 1e9;
            compute[i] = r.timings().computeNanos() / 1e9;
            if (i == 3) {
                fourth = r.timings();
            }
        }
        return Figure.of(seconds, fourth, compute);
    }

    /** The stage times of a run, as {@code compute --stats} names them, the finishes' CPU beside their wall. */
    static String stages(ComputeJob.Timings t) {
        return String.format(Locale.ROOT, "compute %.3f, write %.3f (CPU %.3f; input's kept columns %.3f), commit %.3f, read %.3f s%s",
                t.computeNanos() / 1e9, t.writeNanos() / 1e9, t.finishing().cpuNanos() / 1e9, t.copyNanos() / 1e9,
                t.commitNanos() / 1e9, t.readNanos() / 1e9, t.inPlace() ? ", in place" : ", buffered writer");
    }
}
