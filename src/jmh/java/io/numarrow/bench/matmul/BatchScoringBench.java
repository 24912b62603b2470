package io.numarrow.bench.matmul;

import io.numarrow.tensor.Tensor;
import io.numarrow.threading.PreparedWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * What scoring a real model adds to the fused batch job ({@link BatchMatmulSoftmaxBench}'s shape, weights
 * prepared once as a job prepares them): the bias, added inside the matmul tile, against the same call
 * without one ({@code batchBias}); and each row's class, found per cache block after its softmax, against
 * the scores alone ({@code batchArgmax}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchScoringBench extends BatchShape {
    private PreparedWeights plain;
    private PreparedWeights withBias;
    private Arena arena;
    private MemorySegment classes;

    @Override
    protected void prepare() {
        plain = f.ops.prepare(f.b);
        float[] b = new float[h];
        for (int j = 0; j < h; j++) {
            b[j] = (j % 7) / 7f - 0.5f;
        }
        try (Tensor bias = Tensor.fromArray(f.allocator, 1, h, b)) {
            withBias = f.ops.prepare(f.b, bias);
        }
        arena = Arena.ofShared();
        classes = arena.allocate((long) rows * Integer.BYTES, 64);
    }

    @Override
    protected void release() {
        plain.close();
        withBias.close();
        arena.close();
    }

    @Benchmark
    public void batchBias_numarrow() {
        f.ops.matmulSoftmaxInto(f.a, withBias, f.c);
    }

    @Benchmark
    public void batchBias_noBias() {
        f.ops.matmulSoftmaxInto(f.a, plain, f.c);
    }

    @Benchmark
    public void batchArgmax_numarrow() {
        f.ops.scoreInto(f.a, withBias, true, f.c, classes);
    }

    @Benchmark
    public void batchArgmax_noArgmax() {
        f.ops.matmulSoftmaxInto(f.a, withBias, f.c);
    }
}
