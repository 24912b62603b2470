package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
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
 * The batch-feature shape of {@link BatchMatmulBench} on buffers from Arrow's default allocator, which
 * (through malloc) start 16 bytes past a cache line: every vector store of C then splits across two
 * lines. Both numarrow and OpenBLAS pay for it; this shows how much.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchMatmulArrowMemoryBench {
    @Param({"8192"})
    public int rows;

    @Param({"256"})
    public int d;

    @Param({"256"})
    public int h;

    @Param({"all"})
    public String threads;

    private MatmulFixture f;

    @Setup(Level.Trial)
    public void setUp() {
        f = new MatmulFixture(rows, h, d, threads, new RootAllocator());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        f.close();
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
