package io.numarrow.bench.memory;

import io.numarrow.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a tensor's liveness checks and its own arena cost (docs/safety.md): a 4×4 tensor allocated, read
 * once and closed; a view of an existing vector read through {@code get}, through {@link Tensor#liveSegment()}
 * (what kernels take: checks, no arena) and through {@link Tensor#segment()} (its shared arena opened and
 * closed), all in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1) // JVM flags: jvm.flags, through BenchMain
public class TensorLifecycleBench {

    private BufferAllocator allocator;
    private Float4Vector vector;

    @Setup(Level.Trial)
    public void open() {
        allocator = new RootAllocator();
        vector = new Float4Vector("v", allocator);
        vector.allocateNew(16);
        vector.setValueCount(16);
    }

    @TearDown(Level.Trial)
    public void close() {
        vector.close();
        allocator.close();
    }

    @Benchmark
    public float allocateGetClose() {
        try (Tensor t = Tensor.allocate(allocator, 4, 4)) {
            return t.get(3, 3);
        }
    }

    @Benchmark
    public float wrapGetClose() {
        try (Tensor t = Tensor.wrap(vector, 4, 4)) {
            return t.get(3, 3);
        }
    }

    /** As a kernel call takes it: one check, no arena. */
    @Benchmark
    public float wrapLiveSegmentClose() {
        try (Tensor t = Tensor.wrap(vector, 4, 4)) {
            return t.liveSegment().get(ValueLayout.JAVA_FLOAT, 60);
        }
    }

    /** The segment a user keeps: the tensor's own shared arena, opened and closed. */
    @Benchmark
    public float wrapSegmentClose() {
        try (Tensor t = Tensor.wrap(vector, 4, 4)) {
            return t.segment().get(ValueLayout.JAVA_FLOAT, 60);
        }
    }
}
