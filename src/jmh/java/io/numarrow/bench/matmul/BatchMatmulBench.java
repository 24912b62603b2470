package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batch-feature shape ({@link BatchShape}). numarrow and OpenBLAS read the same Arrow memory, from
 * numarrow's allocator (cache-line aligned, as `compute` and the Spark transformer get it); EJML
 * (multi-threaded) and the scalar loop use heap copies.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchMatmulBench extends BatchShape {
    @Benchmark
    public void batch_numarrow() {
        f.ops.matmulInto(f.a, f.b, f.c);
    }

    @Benchmark
    public void batch_openblas() {
        OpenBlas.sgemm(f.pa, f.pb, f.pc, f.m, f.n, f.k);
    }

    @Benchmark
    public void batch_ejml() {
        CommonOps_MT_FDRM.mult(f.ea, f.eb, f.ec);
    }

    @Benchmark
    public void batch_scalar() {
        f.scalar();
    }
}
