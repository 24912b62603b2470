package io.numarrow.spark;

import java.math.BigDecimal;
import java.math.MathContext;
import org.apache.spark.util.AccumulatorV2;

/**
 * A rate as a Spark accumulator: floating-point operations and the nanoseconds they took, summed
 * over batches and tasks; its value is GFLOP/s. Spark's UI shows each task's own
 * rate and the stage's (total operations over total time).
 */
public final class GflopsAccumulator extends AccumulatorV2<long[], Double> {
    private static final long serialVersionUID = 1L;

    private static final MathContext THREE_DIGITS = new MathContext(3);

    private long flops;
    private long nanos;

    /** Adds one batch: {@code flops} operations in {@code nanos}. */
    public void add(long flops, long nanos) {
        this.flops += flops;
        this.nanos += nanos;
    }

    /** {@code {flops, nanos}}. */
    @Override
    public void add(long[] v) {
        add(v[0], v[1]);
    }

    @Override
    public boolean isZero() {
        return flops == 0 && nanos == 0;
    }

    @Override
    public GflopsAccumulator copy() {
        GflopsAccumulator c = new GflopsAccumulator();
        c.flops = flops;
        c.nanos = nanos;
        return c;
    }

    @Override
    public void reset() {
        flops = 0;
        nanos = 0;
    }

    @Override
    public void merge(AccumulatorV2<long[], Double> other) {
        if (!(other instanceof GflopsAccumulator g)) {
            throw new UnsupportedOperationException("cannot merge " + other.getClass().getName()
                    + " into a GflopsAccumulator");
        }
        add(g.flops, g.nanos);
    }

    /** GFLOP/s to three significant digits (a cold task's rate can be far below 1). */
    @Override
    public Double value() {
        return nanos == 0 ? 0.0 : new BigDecimal((double) flops / nanos).round(THREE_DIGITS).doubleValue();
    }

    public long flops() {
        return flops;
    }

    public long nanos() {
        return nanos;
    }
}
