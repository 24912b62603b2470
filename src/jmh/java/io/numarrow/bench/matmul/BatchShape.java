package io.numarrow.bench.matmul;

import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import org.apache.arrow.memory.BufferAllocator;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The batch-feature shape: a batch of {@code rows} feature rows of width {@code d} (an Arrow column)
 * times weights {@code d×h}, on all cores; the benchmarks that extend it say where the Arrow memory
 * comes from.
 */
@State(Scope.Benchmark)
public abstract class BatchShape {
    @Param({"8192"})
    public int rows;

    @Param({"256"})
    public int d;

    @Param({"256"})
    public int h;

    @Param({"all"})
    public String threads;

    protected MatmulFixture f;

    @Setup(Level.Trial)
    public void setUp() {
        f = new MatmulFixture(rows, h, d, threads, allocator());
        prepare();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        release();
        f.close();
    }

    /** What a subclass makes from the operands, once they exist (JMH would run a subclass's own setup first). */
    protected void prepare() {
    }

    /** Frees what {@link #prepare()} made, before the operands go. */
    protected void release() {
    }

    /** Where the operands live: numarrow's allocator, as `compute` and the Spark transformer use. */
    protected BufferAllocator allocator() {
        return NumaAllocator.root(NumaPolicy.LOCAL);
    }
}
