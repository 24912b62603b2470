package io.numarrow.threading;

import io.numarrow.tensor.Tensor;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Runs {@link ParallelOps}' calls in windows until one window allocates nothing (on the caller and every
 * worker thread), prints what it found and exits 0 or 1. Meant for a JVM of its own
 * (ParallelOpsKernelsTest starts one), so that the kernels are compiled from these calls' profiles alone.
 *
 * <p>Neither a loaded machine nor a broken meter decides the answer. The give-up rule is the JIT's
 * progress, not a time: the probe fails once the JIT has finished no compile, and had none running or
 * queued, at the end of {@link #QUIET_WINDOWS} windows in a row and the calls still allocate (steady
 * state allocates), however long the JIT took to get there; {@link #WALL_LIMIT_SECONDS} only keeps a JIT that never settles from hanging the build.
 * And a pass must prove something: the meter has to see a known allocation on a worker first, and
 * the passing window must have had workers run the calls' helpers.
 */
final class AllocationProbe {
    private static final int CALLS_PER_ROUND = 10;
    /** Windows without a single compilation after which what still allocates is steady state. */
    static final int QUIET_WINDOWS = 5;
    /** A backstop, far above the few seconds a probe takes; ParallelOpsKernelsTest waits longer. */
    static final long WALL_LIMIT_SECONDS = 240;

    /** Keeps the control allocations alive until measured. */
    private static volatile Object sink;

    private AllocationProbe() {
    }

    public static void main(String[] args) {
        String report;
        boolean ok;
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(3).build());
             // 128³: the caller and a worker; 400×128·128×128: tiles handed to the pool; a large B
             // (128×8192) packed by the pool; 100 columns: the masked edge tile; softmax of narrow and
             // wide rows; the fused pair; and prepared weights
             Tensor a = Tensor.fromArray(allocator, 400, 128, random(1, 400 * 128));
             Tensor b = Tensor.fromArray(allocator, 128, 128, random(2, 128 * 128));
             Tensor a128 = Tensor.fromArray(allocator, 128, 128, random(3, 128 * 128));
             Tensor wide = Tensor.fromArray(allocator, 128, 8192, random(4, 128 * 8192));
             Tensor a13 = Tensor.fromArray(allocator, 13, 128, random(5, 13 * 128));
             Tensor c = Tensor.allocate(allocator, 400, 128);
             Tensor c128 = Tensor.allocate(allocator, 128, 128);
             Tensor c13 = Tensor.allocate(allocator, 13, 8192);
             Tensor a100 = Tensor.fromArray(allocator, 100, 100, random(6, 100 * 100));
             Tensor c100 = Tensor.allocate(allocator, 100, 100);
             Tensor probs = Tensor.allocate(allocator, 400, 128);
             Tensor wideProbs = Tensor.allocate(allocator, 13, 8192)) {
            ParallelOps ops = new ParallelOps(pool);
            PreparedWeights prepared = ops.prepare(b);
            Runnable calls = () -> {
                ops.matmulInto(a128, b, c128);
                ops.matmulInto(a, b, c);
                ops.gemmInto(a, b, false, null, true, c);
                ops.matmulInto(a13, wide, c13);
                ops.matmulInto(a100, a100, c100);
                ops.softmaxInto(c, probs);
                ops.softmaxInto(c13, wideProbs);
                ops.matmulSoftmaxInto(a, b, probs);
                ops.matmulInto(a, prepared, c);
                ops.matmulSoftmaxInto(a, prepared, probs);
            };
            calls.run(); // starts the workers, whose threads the meter then counts
            AllocationMeter meter = new AllocationMeter();
            long control = controlAllocation(pool, meter);
            if (control < 2L << 20) {
                System.out.println("the meter saw " + control + " of the 2 MiB the caller and a worker allocated:"
                        + " a zero from it would prove nothing");
                System.exit(1);
            }
            // Until C2 compiles the kernels, Vector API code allocates a box per vector: steady state is
            // what counts, so look at windows of calls until one allocates nothing, or the JIT has
            // settled and they still allocate. Below 2 bytes a call: the long[] of the measurement
            // itself, or the waiter node of a thread that parked, never a call's.
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            int rounds = 100;
            long limit = rounds * CALLS_PER_ROUND * 2L;
            long start = System.nanoTime();
            long wallLimit = start + TimeUnit.SECONDS.toNanos(WALL_LIMIT_SECONDS);
            int quiet = 0;
            int windows = 0;
            long bytes;
            long workerTasks;
            boolean settledOrOut;
            do {
                long compiled = jit.getTotalCompilationTime();
                long tasks = WorkerStats.total(pool.stats()).tasksRun();
                long before = meter.allocated();
                for (int i = 0; i < rounds; i++) {
                    calls.run();
                }
                bytes = meter.allocated() - before;
                workerTasks = WorkerStats.total(pool.stats()).tasksRun() - tasks;
                quiet = jit.getTotalCompilationTime() == compiled && !JitState.isBusy() ? quiet + 1 : 0;
                windows++;
                settledOrOut = quiet >= QUIET_WINDOWS || System.nanoTime() - wallLimit > 0;
            } while ((bytes >= limit || workerTasks == 0) && !settledOrOut);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            ok = bytes < limit && workerTasks > 0;
            String window = rounds * CALLS_PER_ROUND + " calls (workers ran " + workerTasks + " helpers), window "
                    + windows + ", " + ms + " ms after the first call";
            if (ok) {
                report = "allocates nothing: " + bytes + " bytes over " + window + "; the meter saw " + control
                        + " bytes of a 2 MiB control";
            } else if (workerTasks == 0) {
                report = "no window had the workers run a helper, so the pool's side went unmeasured: " + window;
            } else {
                report = bytes + " bytes allocated over " + window
                        + (quiet >= QUIET_WINDOWS ? ", with the JIT idle for the last " + quiet + " windows"
                                : ", the JIT still compiling after " + WALL_LIMIT_SECONDS + " s")
                        + "; where, sampled:\n" + allocationSites(calls) + "\n" + JitState.describe("io.numarrow.");
            }
        }
        System.out.println(report);
        System.exit(ok ? 0 : 1);
    }

    /** Bytes the meter sees when the caller and a worker allocate 1 MiB each. */
    private static long controlAllocation(ThreadPool pool, AllocationMeter meter) {
        long before = meter.allocated();
        pool.submit(() -> sink = new byte[1 << 20]).join();
        sink = new byte[1 << 20];
        long seen = meter.allocated() - before;
        sink = null;
        return seen;
    }

    private static float[] random(long seed, int n) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** The frames that allocate most while {@code work} runs for a second, from a JFR recording. */
    private static String allocationSites(Runnable work) {
        try (Recording recording = new Recording()) {
            recording.enable("jdk.ObjectAllocationSample").withStackTrace();
            recording.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (System.nanoTime() < end) {
                work.run();
            }
            recording.stop();
            Path file = Files.createTempFile("numarrow-alloc", ".jfr");
            recording.dump(file);
            Map<String, Long> weight = new TreeMap<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                RecordedStackTrace st = e.getStackTrace();
                if (st == null) {
                    continue;
                }
                StringBuilder where = new StringBuilder(e.getClass("objectClass").getName());
                for (int f = 0; f < Math.min(6, st.getFrames().size()); f++) {
                    var frame = st.getFrames().get(f);
                    where.append(" <- ").append(frame.getMethod().getType().getName()).append('.')
                            .append(frame.getMethod().getName()).append(" [").append(frame.getType()).append(']');
                }
                weight.merge(where.toString(), e.getLong("weight"), Long::sum);
            }
            Files.deleteIfExists(file);
            return weight.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(8).map(x -> x.getValue() + " B  " + x.getKey()).collect(Collectors.joining("\n"));
        } catch (IOException | RuntimeException e) {
            return "(no allocation profile: " + e + ")";
        }
    }
}
