package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batch-feature shape ({@link BatchShape}) on buffers from Arrow's default allocator, which
 * (through malloc) start 16 bytes past a cache line: every vector store of C then splits across two
 * lines. Both numarrow and OpenBLAS pay for it; this shows how much.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchMatmulArrowMemoryBench extends BatchShape {
    @Override
    protected BufferAllocator allocator() {
        return new RootAllocator();
    }

    @Benchmark
    public void batchArrowMemory_numarrow() {
        f.ops.matmulInto(f.a, f.b, f.c);
    }

    @Benchmark
    public void batchArrowMemory_openblas() {
        OpenBlas.sgemm(f.pa, f.pb, f.pc, f.m, f.n, f.k);
    }
}
