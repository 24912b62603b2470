package io.numarrow.bench.startup;

import io.numarrow.bench.matmul.OpenBlas;
import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One fresh JVM's first second of {@code C = A·B} at the batch shape, by numarrow or by OpenBLAS (args:
 * {@code numarrow|openblas m n k}), on every CPU. Both get the same preparation: library loaded
 * ({@code ParallelOps.startWarmup()}, as the docs ask of a program, then the pool and {@code ParallelOps}
 * created; OpenBLAS loaded and its threads set), then the operands allocated and filled, then the clock
 * starts at the first call. numarrow's first call waits for whatever of the kernels' compiling the filling
 * did not hide, so that wait counts in its first second. Prints one line
 * of {@code key=value}s for {@link StartupSuite}.
 *
 * <p>"Work in the first second" counts the multiply-adds of every call finished within one second of
 * the first call's start, plus the finished share of the call running at that moment, as GFLOP.
 */
public final class FirstSecondProbe {
    private static final long WINDOW_NANOS = 1_000_000_000L;
    /** Calls go on this long, past the window, to see the best call speed. */
    private static final long RUN_NANOS = 2_500_000_000L;

    private FirstSecondProbe() {
    }

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        int m = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int k = Integer.parseInt(args[3]);
        int threads = Runtime.getRuntime().availableProcessors();
        ThreadPool pool = null;
        ParallelOps ops = null;
        if (impl.equals("numarrow")) {
            ParallelOps.startWarmup();
            pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
            ops = new ParallelOps(pool);
        } else if (impl.equals("openblas")) {
            OpenBlas.setThreads(threads);
        } else {
            throw new IllegalArgumentException("numarrow or openblas, not " + impl);
        }
        try (BufferAllocator allocator = NumaAllocator.root(NumaPolicy.LOCAL);
             Tensor a = Tensor.fromArray(allocator, m, k, random(m * k, 1));
             Tensor b = Tensor.fromArray(allocator, k, n, random(k * n, 2));
             Tensor c = Tensor.allocate(allocator, m, n)) {
            FloatPointer pa = OpenBlas.over(a.segment());
            FloatPointer pb = OpenBlas.over(b.segment());
            FloatPointer pc = OpenBlas.over(c.segment());
            long startToFirstCall = ManagementFactory.getRuntimeMXBean().getUptime();
            double gflopPerCall = 2.0 * m * n * k / 1e9;
            long start = System.nanoTime();
            long end = start;
            double windowGflop = 0;
            double best = 0;
            long firstCall = 0;
            long reached = -1;
            int calls = 0;
            long[] callNanos = new long[100_000];
            while (end - start < RUN_NANOS && calls < callNanos.length) {
                long s = System.nanoTime();
                if (ops != null) {
                    ops.matmulInto(a, b, c);
                } else {
                    OpenBlas.sgemm(pa, pb, pc, m, n, k);
                }
                end = System.nanoTime();
                long took = end - s;
                callNanos[calls++] = end - start;
                if (calls == 1) {
                    firstCall = took;
                }
                if (end - start <= WINDOW_NANOS) {
                    windowGflop += gflopPerCall;
                } else if (s - start < WINDOW_NANOS) {
                    windowGflop += gflopPerCall * (start + WINDOW_NANOS - s) / took;
                }
                best = Math.max(best, gflopPerCall / (took / 1e9));
            }
            // when calls first ran at 0.8x the best seen: the visible warm-up
            long prev = 0;
            for (int i = 0; i < calls; i++) {
                double speed = gflopPerCall / ((callNanos[i] - prev) / 1e9);
                if (speed >= 0.8 * best) {
                    reached = callNanos[i];
                    break;
                }
                prev = callNanos[i];
            }
            System.out.printf(Locale.ROOT, "impl=%s startToFirstCallMs=%d firstSecondGflop=%.2f firstCallMs=%.2f "
                            + "bestGflops=%.1f reach08Ms=%.0f warmupMs=%.0f calls=%d%n",
                    impl, startToFirstCall, windowGflop, firstCall / 1e6, best, reached / 1e6,
                    ops == null ? 0 : Math.max(-1, ops.warmupNanos() / 1e6), calls);
            if (ops == null) {
                OpenBlas.report(threads);
            }
        } finally {
            if (pool != null) {
                pool.close();
            }
        }
    }

    private static float[] random(int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = (float) rnd.nextDouble(-1, 1);
        }
        return x;
    }
}
