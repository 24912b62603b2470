package io.numarrow.bench;

/**
 * One measured score: a row of {@code bench --format csv}.
 *
 * @param suite     pool, matmul, softmax or memory
 * @param benchmark what was measured, e.g. {@code sgemm}
 * @param params    the JMH parameters, e.g. {@code n=2048;threads=2}
 * @param impl      numarrow or the baseline's name (openblas, ejml, scalar, forkjoin, arrow, copy)
 * @param score     the JMH score
 * @param unit      the JMH unit, e.g. {@code ops/s}
 * @param allocBytesPerOp bytes allocated per operation ({@code --gc}), NaN when not measured
 * @param spread    the measurement iterations' spread, in the score's unit; {@link Spread#NONE} when not known
 */
public record BenchResult(String suite, String benchmark, String params, String impl, double score, String unit,
                          double allocBytesPerOp, Spread spread) {
    public BenchResult(String suite, String benchmark, String params, String impl, double score, String unit) {
        this(suite, benchmark, params, impl, score, unit, Double.NaN);
    }

    public BenchResult(String suite, String benchmark, String params, String impl, double score, String unit,
                       double allocBytesPerOp) {
        this(suite, benchmark, params, impl, score, unit, allocBytesPerOp, Spread.NONE);
    }

    /** Median, least and greatest of the measurement iterations (all forks), and how many there were. */
    public record Spread(double median, double min, double max, long iterations) {
        public static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
    }
}
