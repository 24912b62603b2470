package io.numarrow.threading;

import io.numarrow.Settings;
import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.ScalarGemm;
import io.numarrow.kernels.Softmax;
import io.numarrow.numa.LinuxSched;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets the Vector API kernels compiled before the work needs them, once per JVM. Until C2 has compiled
 * them every vector is a boxed object and a matmul runs at well under 1 GFLOPS; C2 compiles a method only
 * once it has run often enough, and then takes a few hundred milliseconds for the big tile methods.
 *
 * <p>So a background thread runs every kernel path the jobs use (full, short and masked tiles, with and
 * without bias and accumulation, B packed and in place, softmax of narrow, wide and ragged rows) on small
 * synthetic shapes until the JIT has them, and meanwhile {@link ParallelOps} computes matmuls with
 * {@link ScalarGemm} (bitwise the same results), which is fast within milliseconds. The thread decides
 * by measuring: the vector kernels take over when a vector multiply of its probe shape is faster than
 * the scalar one three times in a row. Where C2 never compiles them (say {@code -XX:TieredStopAtLevel=1})
 * the scalar kernel, faster there, stays.
 *
 * <p>The thread first runs the scalar kernel alone until it is compiled (at most half a second), so
 * that C2 compiles the bridge before the Vector API's many methods queue up. It then works flat out
 * for its first vector rounds (enough calls for the JIT to queue every method),
 * then only probes, pausing between probes, to leave the CPUs to the compilers and the job.
 *
 * <p>Off unless property {@code numarrow.warmup=true}: while the job keeps every CPU busy the probe thread,
 * at a lower priority, may never finish and leave the job on the scalar kernel (measurements in
 * docs/performance.md; why: docs/design.md, start-up). Off, the vector kernels run from the first call, cold.
 */
final class KernelWarmup {
    private static final Logger LOG = LoggerFactory.getLogger(KernelWarmup.class);
    private static final boolean ENABLED = Settings.warmup();
    /** Rounds run back to back: each tile method then has thousands of calls, past every JIT threshold. */
    private static final int BURST_ROUNDS = 200;
    /** Pause between probes after the burst, and after {@link #SLOW_AFTER_NANOS} (a JVM where C2 is slow or off). */
    private static final long PAUSE_NANOS = 2_000_000;
    private static final long SLOW_PAUSE_NANOS = 50_000_000;
    private static final long SLOW_AFTER_NANOS = 3_000_000_000L;
    private static final int WINS_NEEDED = 3;
    /**
     * The warm-up thread's nice value. Not 19: on a busy machine that share (1.5% of a core) would leave
     * a long job on the bridge for good; 10 gives it about a tenth.
     */
    private static final int WARMUP_NICE = 10;
    /** The bridge counts as compiled once its probe runs this many times faster than its first. */
    private static final int BRIDGE_SPEED_UP = 40;
    private static final int BRIDGE_BURST = 50;
    private static final int BRIDGE_MAX_ROUNDS = 2000;
    private static final long BRIDGE_MAX_NANOS = 500_000_000;

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean vectorReady = !ENABLED;
    /** 0 before any warm-up, -1 while it runs, then its wall time. */
    private static volatile long nanos;

    private KernelWarmup() {
    }

    /** Starts the warm-up thread unless it has started already or is turned off. */
    static void start() {
        if (!ENABLED || !STARTED.compareAndSet(false, true)) {
            return;
        }
        nanos = -1;
        Thread t = new Thread(KernelWarmup::run, "numarrow-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** Whether matmuls should use the vector kernels: warm-up done or turned off. */
    static boolean vectorKernelsReady() {
        return vectorReady;
    }

    /** Wall nanoseconds the warm-up took; 0 if none ran, -1 while it runs. */
    static long nanos() {
        return nanos;
    }

    private static void run() {
        // A low priority: the warm-up takes the CPU time the job leaves (a core idle while one thread
        // opens the input) and about a tenth of a busy core, not a third of two
        boolean niced = LinuxSched.niceCurrentThread(WARMUP_NICE);
        long start = System.nanoTime();
        int rounds = 0;
        try (Arena arena = Arena.ofConfined()) {
            Workload work = new Workload(arena, FloatVector.SPECIES_PREFERRED);
            bridgeFirst(work, start);
            int wins = 0;
            while (wins < WINS_NEEDED) {
                work.round();
                rounds++;
                wins = work.vectorProbeNanos() < work.scalarProbeNanos() ? wins + 1 : 0;
                if (rounds >= BURST_ROUNDS) {
                    LockSupport.parkNanos(System.nanoTime() - start < SLOW_AFTER_NANOS ? PAUSE_NANOS : SLOW_PAUSE_NANOS);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.warn("kernel warm-up failed ({}); the vector kernels warm up as they run", e.toString());
        }
        long took = System.nanoTime() - start;
        vectorReady = true;
        nanos = took;
        LOG.debug("vector kernels compiled after {} ms of warm-up ({} rounds, thread niced: {})", took / 1_000_000, rounds,
                niced);
    }

    /**
     * The scalar kernel first, until it runs compiled: the vector rounds that follow fill C2's queue with
     * the Vector API's own methods, and behind them the bridge would wait in slow code too.
     */
    private static void bridgeFirst(Workload work, long start) {
        long first = work.scalarProbeNanos();
        for (int i = 0; i < BRIDGE_MAX_ROUNDS && System.nanoTime() - start < BRIDGE_MAX_NANOS; i++) {
            if (work.scalarProbeNanos() * BRIDGE_SPEED_UP < first) {
                return;
            }
            if (i >= BRIDGE_BURST) {
                LockSupport.parkNanos(PAUSE_NANOS / 2);
            }
        }
    }

    /** The synthetic operands and the calls of one round. */
    private static final class Workload {
        private static final int K = 64;
        private final VectorSpecies<Float> species;
        private final MemorySegment a;
        private final MemorySegment b;
        private final MemorySegment c;
        private final MemorySegment bias;
        private final MemorySegment packed;
        private final MemorySegment rows;
        private float[][] bRows;

        Workload(Arena arena, VectorSpecies<Float> species) {
            this.species = species;
            a = filled(arena, 16 * (K + 2), 1);
            b = filled(arena, (K + 2) * 64, 2);
            c = arena.allocate(16L * 64 * Float.BYTES, 64);
            bias = filled(arena, 64, 3);
            packed = arena.allocate(Math.max(Matmul.packedBBytes(species, K + 2, 64), Matmul.packedBBytes(species, K, 40)), 64);
            rows = filled(arena, 4 * 1000, 4);
        }

        /** Every path once: 16 rows are two full row groups and a short one, 40 columns a masked edge. */
        void round() {
            packedMultiply(16, 64, K, null, false);
            packedMultiply(16, 64, K, bias, true);
            packedMultiply(7, 40, K, bias, false);
            Matmul.multiply(species, a, b, c, 16, 64, K, false, null, false);
            Matmul.multiply(species, a, b, c, 13, 40, K + 2, true, bias, true);
            bRows = ScalarGemm.copyB(b, K + 2, 64, false, bRows);
            ScalarGemm.rows(a, bRows, c, 16, 64, K + 2, ScalarGemm.kBlock(species), 0, 16, bias, true);
            for (int cols : new int[] {37, 64, 256, 1000}) {
                Softmax.rows(rows, rows, cols, 0, 4);
                Softmax.rows(c, c, 64, 0, 16);
            }
        }

        long vectorProbeNanos() {
            long t = System.nanoTime();
            packedMultiply(16, 64, K, null, false);
            return System.nanoTime() - t;
        }

        long scalarProbeNanos() {
            long t = System.nanoTime();
            bRows = ScalarGemm.copyB(b, K, 64, false, bRows);
            ScalarGemm.rows(a, bRows, c, 16, 64, K, ScalarGemm.kBlock(species), 0, 16, null, false);
            return System.nanoTime() - t;
        }

        private void packedMultiply(int m, int n, int k, MemorySegment bias, boolean accumulate) {
            Matmul.packB(species, b, k, n, false, packed, 0, Matmul.panelCount(species, n));
            Matmul.multiplyPacked(species, packed, a, c, m, n, k, 0, m, bias, accumulate);
        }

        private static MemorySegment filled(Arena arena, int floats, int seed) {
            MemorySegment s = arena.allocate((long) floats * Float.BYTES, 64);
            fill(s, floats, seed);
            return s;
        }

        private static void fill(MemorySegment s, int floats, int seed) {
            for (int i = 0; i < floats; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, ((i * 31 + seed * 17) % 23 - 11) / 16f);
            }
        }
    }
}
