package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Square sgemm {@code n×n·n×n} over Arrow memory: numarrow's {@code ParallelOps.matmulInto} against
 * OpenBLAS {@code cblas_sgemm} on the same bytes with the same thread count. The scalar loop and EJML
 * are measured on the smaller shapes only: at 2048³ one call of either takes seconds.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SgemmBench extends SquareMatmulTrial {
    @Param({"2048"})
    public int n;

    @Param({"1", "all"})
    public String threads;

    @Override
    MatmulFixture fixture() {
        return new MatmulFixture(n, n, n, threads);
    }

    @Benchmark
    public void sgemm_numarrow() {
        f.ops.matmulInto(f.a, f.b, f.c);
    }

    @Benchmark
    public void sgemm_openblas() {
        OpenBlas.sgemm(f.pa, f.pb, f.pc, f.m, f.n, f.k);
    }
}
