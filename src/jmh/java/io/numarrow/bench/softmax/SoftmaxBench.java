package io.numarrow.bench.softmax;

import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkItem;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
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

/**
 * Row softmax of a {@code rows×cols} Arrow tensor into another, on all cores, beside baselines run on
 * the same pool with the same row split: a copy of the same bytes (the memory-bandwidth limit), and the
 * textbook scalar loop (max, {@code Math.exp} and sum, scale), which bounds short, cache-resident rows.
 *
 * <p>Two copies, because they move different amounts of memory: {@code copy} is
 * {@link MemorySegment#copy}, which for megabytes ends in the C library's memmove and its non-temporal
 * stores (the output is written without being read first); {@code storecopy} copies with ordinary vector
 * stores, as every Java kernel writing a new buffer must, so each output line is also read from memory
 * before it is written: half as much traffic again. Softmax into a new buffer is bounded by the second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SoftmaxBench {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final VectorSpecies<Float> VS = FloatVector.SPECIES_PREFERRED;

    @Param({"8192x4096", "65536x64"})
    public String shape;

    @Param({"all"})
    public String threads;

    private BufferAllocator allocator;
    private Tensor in;
    private Tensor out;
    private ThreadPool pool;
    private ParallelOps ops;
    private int rows;
    private int cols;
    private WorkItem[] items;

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        rows = Integer.parseInt(rc[0]);
        cols = Integer.parseInt(rc[1]);
        int n = "all".equals(threads) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
        allocator = new RootAllocator();
        in = Tensor.allocate(allocator, rows, cols);
        out = Tensor.allocate(allocator, rows, cols);
        SplittableRandom rnd = new SplittableRandom(7);
        MemorySegment s = in.segment();
        for (long i = 0; i < (long) rows * cols; i++) {
            s.setAtIndex(F, i, (float) (rnd.nextDouble() * 20 - 10));
        }
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(n).build());
        ops = new ParallelOps(pool);
        items = new WorkItem[n];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        out.close();
        in.close();
        allocator.close();
    }

    @Benchmark
    public void softmax_numarrow() {
        ops.softmaxInto(in, out);
    }

    /**
     * In place: each output line was just read, so it is written without another trip to memory and
     * the traffic is the copy's. Repeated calls keep normalising rows that are already normalised,
     * which costs the same as fresh data.
     */
    @Benchmark
    public void softmaxInPlace_numarrow() {
        ops.softmaxInto(out, out);
    }

    /** {@link #softmax_copy} under the in-place benchmark's name, so that the two are compared. */
    @Benchmark
    public void softmaxInPlace_copy() {
        softmax_copy();
    }

    @Benchmark
    public void softmax_copy() {
        MemorySegment src = in.segment();
        MemorySegment dst = out.segment();
        long rowBytes = (long) cols * Float.BYTES;
        onPool((r0, r1) -> MemorySegment.copy(src, r0 * rowBytes, dst, r0 * rowBytes, (r1 - r0) * rowBytes));
    }

    @Benchmark
    public void softmax_storecopy() {
        MemorySegment src = in.segment();
        MemorySegment dst = out.segment();
        long rowBytes = (long) cols * Float.BYTES;
        onPool((r0, r1) -> storeCopy(src, dst, r0 * rowBytes, (r1 - r0) * rowBytes));
    }

    /** Copies with ordinary vector stores, the destination taken to a vector boundary first. */
    private static void storeCopy(MemorySegment src, MemorySegment dst, long from, long bytes) {
        long vb = VS.vectorByteSize();
        long end = from + bytes;
        long off = from;
        long head = Math.min(bytes, Math.floorMod(-(dst.address() + from), vb));
        for (; off < from + head; off++) {
            dst.set(ValueLayout.JAVA_BYTE, off, src.get(ValueLayout.JAVA_BYTE, off));
        }
        for (; off + vb <= end; off += vb) {
            FloatVector.fromMemorySegment(VS, src, off, ByteOrder.nativeOrder()).intoMemorySegment(dst, off, ByteOrder.nativeOrder());
        }
        for (; off < end; off++) {
            dst.set(ValueLayout.JAVA_BYTE, off, src.get(ValueLayout.JAVA_BYTE, off));
        }
    }

    @Benchmark
    public void softmax_scalar() {
        MemorySegment src = in.segment();
        MemorySegment dst = out.segment();
        int c = cols;
        onPool((r0, r1) -> {
            for (long r = r0; r < r1; r++) {
                long base = r * c;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, src.getAtIndex(F, base + j));
                }
                float sum = 0;
                for (int j = 0; j < c; j++) {
                    float e = (float) Math.exp(src.getAtIndex(F, base + j) - max);
                    dst.setAtIndex(F, base + j, e);
                    sum += e;
                }
                float inv = 1f / sum;
                for (int j = 0; j < c; j++) {
                    dst.setAtIndex(F, base + j, dst.getAtIndex(F, base + j) * inv);
                }
            }
        });
    }

    private interface Rows {
        void run(long r0, long r1);
    }

    /** Splits the rows evenly over the pool's workers and waits for all. */
    private void onPool(Rows task) {
        int n = items.length;
        for (int t = 0; t < n; t++) {
            long r0 = (long) rows * t / n;
            long r1 = (long) rows * (t + 1) / n;
            items[t] = pool.submit(() -> task.run(r0, r1));
        }
        try {
            for (WorkItem item : items) {
                item.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
