package io.numarrow.bench.pool;

import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkItem;
import io.numarrow.threading.WorkerStats;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The distribution behind {@code PoolBenchmark.dispatchLatency}: the time of each batch of 2
 * tiny tasks submitted from outside and awaited, numarrow and ForkJoinPool alternating in short
 * rounds so that both see the same machine load. JMH's average hides how the time splits into
 * a typical case and a tail; on a shared machine the tail (the OS running someone else) decides
 * the average. Run: {@code java -cp ... io.numarrow.bench.pool.DispatchLatencyProbe [rounds]}.
 */
public final class DispatchLatencyProbe {
    private static final Runnable TINY = () -> { };
    private static final int BATCHES_PER_ROUND = 2000;

    private DispatchLatencyProbe() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        try (ThreadPool numarrow = ThreadPool.init(ThreadPoolConfig.defaults());
             ForkJoinPool forkJoin = new ForkJoinPool(numarrow.size())) {
            long[] ours = new long[rounds * BATCHES_PER_ROUND];
            long[] theirs = new long[rounds * BATCHES_PER_ROUND];
            for (int warm = 0; warm < 5; warm++) {
                numarrowRound(numarrow, new long[BATCHES_PER_ROUND], 0);
                forkJoinRound(forkJoin, new long[BATCHES_PER_ROUND], 0);
            }
            for (int r = 0; r < rounds; r++) {
                numarrowRound(numarrow, ours, r * BATCHES_PER_ROUND);
                forkJoinRound(forkJoin, theirs, r * BATCHES_PER_ROUND);
            }
            System.out.printf(Locale.ROOT, "%d workers each, %d batches of 2 tiny tasks each, alternating rounds%n",
                    numarrow.size(), ours.length);
            print("numarrow", ours);
            print("forkjoin", theirs);
            System.out.printf(Locale.ROOT, "numarrow/forkjoin time: median %.2f, mean %.2f%n",
                    (double) median(ours) / median(theirs), mean(ours) / mean(theirs));
            System.out.println("numarrow workers: " + WorkerStats.total(numarrow.stats()));
        }
    }

    private static void numarrowRound(ThreadPool pool, long[] out, int from) {
        for (int i = 0; i < BATCHES_PER_ROUND; i++) {
            long t0 = System.nanoTime();
            WorkItem a = pool.submit(TINY);
            WorkItem b = pool.submit(TINY);
            a.join();
            b.join();
            out[from + i] = System.nanoTime() - t0;
        }
    }

    private static void forkJoinRound(ForkJoinPool pool, long[] out, int from) {
        for (int i = 0; i < BATCHES_PER_ROUND; i++) {
            long t0 = System.nanoTime();
            ForkJoinTask<?> a = pool.submit(TINY);
            ForkJoinTask<?> b = pool.submit(TINY);
            a.join();
            b.join();
            out[from + i] = System.nanoTime() - t0;
        }
    }

    private static void print(String name, long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%-9s mean %8.2f µs  p50 %7.2f  p90 %7.2f  p99 %8.2f  max %9.1f%n", name,
                mean(times) / 1e3, at(sorted, 0.50) / 1e3, at(sorted, 0.90) / 1e3, at(sorted, 0.99) / 1e3,
                sorted[sorted.length - 1] / 1e3);
    }

    private static long median(long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        return at(sorted, 0.5);
    }

    private static long at(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) (q * sorted.length))];
    }

    private static double mean(long[] times) {
        double s = 0;
        for (long t : times) {
            s += t;
        }
        return s / times.length;
    }
}
