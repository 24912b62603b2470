package io.numarrow.bench.matmul;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole batch-feature job, {@code softmax(X·W)} on the {@link BatchShape}: numarrow's fused
 * {@code matmulSoftmaxInto} (each block of rows normalised while it is still in cache) against the same
 * two steps done one after the other, by numarrow and by OpenBLAS's sgemm followed by numarrow's softmax
 * (OpenBLAS has no softmax).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchMatmulSoftmaxBench extends BatchShape {
    @Benchmark
    public void batchSoftmax_numarrow() {
        f.ops.matmulSoftmaxInto(f.a, f.b, f.c);
    }

    @Benchmark
    public void batchSoftmax_unfused() {
        f.ops.matmulInto(f.a, f.b, f.c);
        f.ops.softmaxInto(f.c, f.c);
    }

    @Benchmark
    public void batchSoftmax_openblas() {
        OpenBlas.sgemm(f.pa, f.pb, f.pc, f.m, f.n, f.k);
        f.ops.softmaxInto(f.c, f.c);
    }
}
