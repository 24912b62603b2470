package io.numarrow.bench.memory;

import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
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

/**
 * Allocate one buffer, write its first and last word, free it: the NUMA allocator (LOCAL policy)
 * beside Arrow's default allocator, same sizes, same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1) // JVM flags: jvm.flags, through BenchMain
public class AllocateFreeBench {
    @Param({"4096", "1048576", "67108864"})
    public long size;

    private BufferAllocator numa;
    private BufferAllocator arrow;

    @Setup(Level.Trial)
    public void open() {
        numa = NumaAllocator.root(NumaPolicy.LOCAL);
        arrow = new RootAllocator();
    }

    @TearDown(Level.Trial)
    public void close() {
        numa.close();
        arrow.close();
    }

    @Benchmark
    public long allocateFree_numarrow() {
        return cycle(numa, size);
    }

    @Benchmark
    public long allocateFree_arrow() {
        return cycle(arrow, size);
    }

    static long cycle(BufferAllocator allocator, long size) {
        try (ArrowBuf b = allocator.buffer(size)) {
            b.setLong(0, size);
            b.setLong(size - 8, size);
            return b.getLong(0) + b.memoryAddress();
        }
    }
}
