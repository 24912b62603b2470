package io.numarrow.spark;

import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.Ops;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * The baseline of the cluster's speed (examples/README.md): {@code ComputeJob.run} on
 * {@code DIR/batch.arrow} with {@code DIR/weights.arrow}, {@code RUNS} times in this JVM on a pool of
 * {@code THREADS}; prints each run and the median of the runs from the third on, in rows/s and per thread.
 *
 * <p>{@code java <jvm.flags> -cp ... io.numarrow.spark.ComputeJobWarm DIR [RUNS=5] [THREADS=2]}
 */
public final class ComputeJobWarm {
    private ComputeJobWarm() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        double[] rowsPerSecond = new double[runs];
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build())) {
            ParallelOps parallel = new ParallelOps(pool);
            ComputeJob.Spec spec = new ComputeJob.Spec(dir.resolve("batch.arrow"), dir.resolve("weights.arrow"),
                    dir.resolve("warm-out.arrow"), "features", Ops.MATMUL_SOFTMAX, "output");
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                ComputeJob.Result result = ComputeJob.run(spec, parallel, allocator);
                double seconds = (System.nanoTime() - start) / 1e9;
                rowsPerSecond[i] = result.rows() / seconds;
                System.out.printf(Locale.ROOT, "ComputeJob.run %d of %d: %,d rows in %.3f s: %,.0f rows/s, %,.0f per thread%n",
                        i + 1, runs, result.rows(), seconds, rowsPerSecond[i], rowsPerSecond[i] / threads);
            }
        }
        double[] warm = Arrays.copyOfRange(rowsPerSecond, Math.min(2, runs - 1), runs);
        Arrays.sort(warm);
        System.out.printf(Locale.ROOT, "ComputeJob.run warm (runs %d-%d) on %d threads: median %,.0f rows/s (%,.0f-%,.0f),"
                        + " %,.0f rows/s per thread%n", Math.min(3, runs), runs, threads, warm[warm.length / 2], warm[0],
                warm[warm.length - 1], warm[warm.length / 2] / threads);
    }
}
