package io.numarrow.bench.softmax;

import io.numarrow.kernels.VectorExp;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code exp} over an L1-resident array of floats in the range softmax feeds it, one thread: numarrow's
 * {@link VectorExp} against the JDK's {@code VectorOperators.EXP} and scalar {@link Math#exp}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ExpBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Param({"4096"})
    public int count;

    private MemorySegment in;
    private MemorySegment out;

    @Setup(Level.Trial)
    public void setUp() {
        // One allocation, the output half a page past where the input's page offset would repeat: with
        // two separate allocations the distance between them was left to malloc, and where the output
        // sat just past a multiple of 4 KiB from the input, each load waited on the store before it
        // (4K aliasing): exp_numarrow measured 890 or 1840 ns from one fork to the next.
        long bytes = (long) count * Float.BYTES;
        long gap = Math.floorMod(2048 - bytes, 4096);
        MemorySegment both = Arena.ofAuto().allocate(2 * bytes + gap, 64);
        in = both.asSlice(0, bytes);
        out = both.asSlice(bytes + gap, bytes);
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < count; i++) {
            in.setAtIndex(F, i, (float) (-rnd.nextDouble() * 30));
        }
    }

    @Benchmark
    public MemorySegment exp_numarrow() {
        VectorExp.exp(in, out, count);
        return out;
    }

    @Benchmark
    public MemorySegment exp_vectorapi() {
        long bytes = (long) count * Float.BYTES;
        for (long off = 0; off < bytes; off += S.vectorByteSize()) {
            FloatVector.fromMemorySegment(S, in, off, ByteOrder.nativeOrder()).lanewise(VectorOperators.EXP)
                    .intoMemorySegment(out, off, ByteOrder.nativeOrder());
        }
        return out;
    }

    @Benchmark
    public MemorySegment exp_scalar() {
        for (int i = 0; i < count; i++) {
            out.setAtIndex(F, i, (float) Math.exp(in.getAtIndex(F, i)));
        }
        return out;
    }
}
