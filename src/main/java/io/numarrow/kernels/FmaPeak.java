package io.numarrow.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's Java FMA throughput: the GFLOPS one thread reaches with nothing but independent fused
 * multiply-adds on the JVM's float vectors, so a kernel's speed can be read as a share of what Java code
 * can do on this core (a 2-FMA-port Xeon and a Zen 4 differ by two here, and the kernel with them).
 *
 * <p>The loop keeps 12 accumulators: enough chains to cover the FMA latency (4 cycles) times the FMA
 * ports (two 512-bit ports on a Xeon, one 512-bit rate on Zen 4) on current x86 cores, and few enough to
 * stay in 16 registers and compile at every JIT tier (24 make C1 give up, so the probe would run
 * interpreted until C2 is done). It counts two flops per lane per FMA, as GEMM figures do.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Below this the timer's resolution and the loop's entry would show in the figure. */
    private static final long MIN_SAMPLE_NANOS = 2_000_000;
    private static final int CHAINS = 12;

    private FmaPeak() {
    }

    /**
     * One thread's peak in GFLOPS: the best of timed samples taken for about {@code budgetNanos}, after
     * the loop has been compiled (samples grow until one takes {@link #MIN_SAMPLE_NANOS}).
     */
    public static double gflopsPerThread(long budgetNanos) {
        long start = System.nanoTime();
        float sink = warmUp(start + 10 * budgetNanos);
        long iterations = 1_000;
        double best = 0;
        int sinceBetter = 0;
        long measureStart = System.nanoTime();
        // Past the budget, go on while the best still moves, up to ten budgets
        while (true) {
            long t0 = System.nanoTime();
            sink += fma12(iterations);
            long ns = System.nanoTime() - t0;
            long elapsed = t0 + ns - measureStart;
            if (ns < MIN_SAMPLE_NANOS) {
                iterations *= 2;
            } else {
                double gflops = (double) iterations * CHAINS * S.length() * 2 / ns;
                sinceBetter = gflops > best * 1.02 ? 0 : sinceBetter + 1;
                best = Math.max(best, gflops);
            }
            if (t0 + ns - start > 10 * budgetNanos || (elapsed > budgetNanos && sinceBetter >= 5)) {
                break;
            }
        }
        if (sink == 42.4242f) {
            // keeps the loops' results alive; never true for these inputs
            System.identityHashCode(sink);
        }
        return best;
    }

    /**
     * Many short calls until the loop runs compiled by C2: only C2 turns the Vector API into vector
     * instructions (C1 and the interpreter run its Java fallback, hundreds of times slower), and C2 takes
     * a method after thousands of calls, which short calls reach in milliseconds where long ones would
     * take seconds of fallback code. Compiled is taken to be: a thousand calls in a row under a microsecond.
     */
    private static float warmUp(long deadline) {
        float sink = 0;
        int fastInARow = 0;
        while (fastInARow < 1_000 && System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            sink += fma12(4);
            fastInARow = System.nanoTime() - t0 < 1_000 ? fastInARow + 1 : 0;
        }
        return sink;
    }

    /** Label of what the probe runs, for reports: vector width and chain count. */
    public static String describe() {
        return CHAINS + " independent " + S.vectorBitSize() + "-bit FMA chains, one thread";
    }

    private static float fma12(long iterations) {
        FloatVector x = FloatVector.broadcast(S, 0.999999f);
        FloatVector y = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, 1f), c1 = c0.add(y), c2 = c1.add(y), c3 = c2.add(y);
        FloatVector c4 = c3.add(y), c5 = c4.add(y), c6 = c5.add(y), c7 = c6.add(y);
        FloatVector c8 = c7.add(y), c9 = c8.add(y), c10 = c9.add(y), c11 = c10.add(y);
        for (long i = 0; i < iterations; i++) {
            c0 = c0.fma(x, y); c1 = c1.fma(x, y); c2 = c2.fma(x, y); c3 = c3.fma(x, y);
            c4 = c4.fma(x, y); c5 = c5.fma(x, y); c6 = c6.fma(x, y); c7 = c7.fma(x, y);
            c8 = c8.fma(x, y); c9 = c9.fma(x, y); c10 = c10.fma(x, y); c11 = c11.fma(x, y);
        }
        return c0.add(c1).add(c2.add(c3)).add(c4.add(c5).add(c6.add(c7))).add(c8.add(c9).add(c10.add(c11))).lane(0);
    }
}
