package io.numarrow.bench.pool;

import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkItem;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveTask;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * numarrow's {@link ThreadPool} against the JDK's {@link ForkJoinPool} with the same number of
 * workers (numarrow's default: every usable CPU within the cgroup quota), in the same run:
 *
 * <ul>
 * <li>{@code forkJoinSum}: recursive parallel sum of 2^24 floats split in halves down to
 * 4096-element leaves; the root is submitted from outside, every split forks its left half
 * onto the worker's own queue and computes the right half itself.</li>
 * <li>{@code dispatchLatency}: on a warm pool, submit 2 tiny tasks from outside and wait for
 * both: the round trip a kernel's tiles pay.</li>
 * <li>{@code parallelFor}: a task inside the pool forks one task per chunk of about 1 µs of
 * work (1024 chunks) and joins them all, newest first (ForkJoinPool's fast order); idle
 * workers steal them.</li>
 * </ul>
 * All are average time per operation: lower is better.
 */
@BenchmarkMode(Mode.AverageTime)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1) // JVM flags: jvm.flags, through BenchMain
@State(Scope.Benchmark)
public class PoolBenchmark {
    /** Elements summed by {@code forkJoinSum}. */
    @Param("16777216")
    public int elements;

    /** Elements per leaf of {@code forkJoinSum}. */
    @Param("4096")
    public int leaf;

    /** Chunks per {@code parallelFor}. */
    @Param("1024")
    public int chunks;

    /**
     * {@link Blackhole#consumeCPU} tokens per chunk: about 1 µs on the quiet build machines
     * (1.87 ns a token there; measured best of 10 × 20000 calls).
     */
    @Param("535")
    public int chunkWork;

    /** numarrow's idle spin before parking, µs (-1: the pool's default). */
    @Param("-1")
    public int spinMicros;

    private ThreadPool numarrow;
    private ForkJoinPool forkJoin;
    private float[] data;
    private long[] chunkResults;

    private static final Runnable TINY = () -> { };

    @Setup(Level.Trial)
    public void setUp() {
        ThreadPoolConfig.Builder config = ThreadPoolConfig.builder();
        if (spinMicros >= 0) {
            config.spinTime(Duration.ofNanos(spinMicros * 1000L));
        }
        numarrow = ThreadPool.init(config.build());
        forkJoin = new ForkJoinPool(numarrow.size());
        data = new float[elements];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < elements; i++) {
            data[i] = (float) random.nextDouble(-1, 1);
        }
        chunkResults = new long[chunks];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        numarrow.close();
        forkJoin.close();
    }

    // ---- recursive fork/join sum ----

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public double forkJoinSum_numarrow() {
        NumarrowSum root = new NumarrowSum(numarrow, data, 0, data.length, leaf);
        numarrow.submit(root).join();
        return root.result;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public double forkJoinSum_forkjoin() {
        return forkJoin.invoke(new ForkJoinSum(data, 0, data.length, leaf));
    }

    static double leafSum(float[] a, int lo, int hi) {
        double s = 0;
        for (int i = lo; i < hi; i++) {
            s += a[i];
        }
        return s;
    }

    static final class NumarrowSum implements Runnable {
        private final ThreadPool pool;
        private final float[] a;
        private final int lo;
        private final int hi;
        private final int leaf;
        double result;

        NumarrowSum(ThreadPool pool, float[] a, int lo, int hi, int leaf) {
            this.pool = pool;
            this.a = a;
            this.lo = lo;
            this.hi = hi;
            this.leaf = leaf;
        }

        @Override
        public void run() {
            result = sum(lo, hi);
        }

        private double sum(int from, int to) {
            if (to - from <= leaf) {
                return leafSum(a, from, to);
            }
            int mid = (from + to) >>> 1;
            NumarrowSum left = new NumarrowSum(pool, a, from, mid, leaf);
            WorkItem forked = pool.submit(left);
            double right = sum(mid, to);
            forked.join();
            return left.result + right;
        }
    }

    static final class ForkJoinSum extends RecursiveTask<Double> {
        private final float[] a;
        private final int lo;
        private final int hi;
        private final int leaf;

        ForkJoinSum(float[] a, int lo, int hi, int leaf) {
            this.a = a;
            this.lo = lo;
            this.hi = hi;
            this.leaf = leaf;
        }

        @Override
        protected Double compute() {
            if (hi - lo <= leaf) {
                return leafSum(a, lo, hi);
            }
            int mid = (lo + hi) >>> 1;
            ForkJoinSum left = new ForkJoinSum(a, lo, mid, leaf);
            left.fork();
            double right = new ForkJoinSum(a, mid, hi, leaf).compute();
            return left.join() + right;
        }
    }

    // ---- dispatch latency of a batch of 2 tiny tasks ----

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void dispatchLatency_numarrow() {
        WorkItem a = numarrow.submit(TINY);
        WorkItem b = numarrow.submit(TINY);
        a.join();
        b.join();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void dispatchLatency_forkjoin() {
        ForkJoinTask<?> a = forkJoin.submit(TINY);
        ForkJoinTask<?> b = forkJoin.submit(TINY);
        a.join();
        b.join();
    }

    // ---- parallel-for of ~1 µs chunks ----

    /** One chunk: JMH's own busy loop, which the JIT cannot fold away. */
    static long chunk(int i, int work) {
        Blackhole.consumeCPU(work);
        return i;
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long parallelFor_numarrow() {
        long[] out = chunkResults;
        int work = chunkWork;
        numarrow.submit(() -> {
            WorkItem[] items = new WorkItem[out.length];
            for (int i = 0; i < out.length; i++) {
                int c = i;
                items[i] = numarrow.submit(() -> out[c] = chunk(c, work));
            }
            for (int i = items.length - 1; i >= 0; i--) {
                items[i].join(); // newest first, as ForkJoinPool's guide says to join
            }
        }).join();
        return out[out.length - 1];
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long parallelFor_forkjoin() {
        long[] out = chunkResults;
        int work = chunkWork;
        forkJoin.submit(() -> {
            ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[out.length];
            for (int i = 0; i < out.length; i++) {
                int c = i;
                tasks[i] = ForkJoinTask.adapt(() -> out[c] = chunk(c, work)).fork();
            }
            for (int i = tasks.length - 1; i >= 0; i--) {
                tasks[i].join(); // newest first: each join then finds its task at the top of the deque
            }
        }).join();
        return out[out.length - 1];
    }
}
