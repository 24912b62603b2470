package io.numarrow.bench.matmul;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of the square {@code n×n·n×n} benchmarks: one {@link MatmulFixture} a trial, made from the
 * subclass's parameters (JMH takes {@code @Setup} and {@code @TearDown} from a superclass).
 */
@State(Scope.Benchmark)
public abstract class SquareMatmulTrial {
    MatmulFixture f;

    /** The operands for this trial's parameters. */
    abstract MatmulFixture fixture();

    @Setup(Level.Trial)
    public void setUp() {
        f = fixture();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        f.close();
    }
}
