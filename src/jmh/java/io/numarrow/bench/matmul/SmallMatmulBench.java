package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
import org.ejml.dense.row.CommonOps_FDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Small square matmuls, one warm call each, where fixed costs (dispatch, packing) weigh most: numarrow
 * and OpenBLAS both free to use every core (each decides how many it is worth), EJML single-threaded,
 * the scalar loop.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SmallMatmulBench extends SquareMatmulTrial {
    @Param({"64", "128"})
    public int n;

    @Param({"all"})
    public String threads;

    @Override
    MatmulFixture fixture() {
        return new MatmulFixture(n, n, n, threads);
    }

    @Benchmark
    public void small_numarrow() {
        f.ops.matmulInto(f.a, f.b, f.c);
    }

    @Benchmark
    public void small_openblas() {
        OpenBlas.sgemm(f.pa, f.pb, f.pc, f.m, f.n, f.k);
    }

    @Benchmark
    public void small_ejml() {
        CommonOps_FDRM.mult(f.ea, f.eb, f.ec);
    }

    @Benchmark
    public void small_scalar() {
        f.scalar();
    }
}
