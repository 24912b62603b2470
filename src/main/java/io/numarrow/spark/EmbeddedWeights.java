package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.SparkSession;

/**
 * A linear model's weights carried by the transformer itself (from a fitted Spark ML model): the
 * coefficients as Spark holds them ({@code rows×d}, one row per class, like
 * {@code LogisticRegressionModel.coefficientMatrix}) and an intercept per row, broadcast once per
 * transform. An executor turns them into numarrow's {@code W[d×h]} and bias {@code b[h]}; a binomial
 * model's one row {@code w} (margin {@code z}) becomes the two columns {@code [0, w]}, so that the
 * softmax over {@code [0, z]} is its sigmoid.
 *
 * @param id        the transformer's uid, the name a newer version replaces
 * @param rows      coefficient rows: classes, or 1 for a binomial model
 * @param d         features per row
 * @param binomial  whether the one row is a binomial model's margin
 * @param checksum  of every value: part of the cache key, so that changed coefficients load again
 * @param values    the coefficients and intercepts, as float32
 */
record EmbeddedWeights(String id, int rows, int d, boolean binomial, long checksum, Broadcast<Values> values)
        implements WeightsOrigin {

    /** The values themselves: {@code coefficients} row-major {@code rows×d}, {@code intercepts} one per row. */
    record Values(float[] coefficients, float[] intercepts) implements Serializable {
    }

    /** Converts the model's values to float32 on the driver and broadcasts them. */
    static EmbeddedWeights of(SparkSession spark, String id, Matrix coefficients, Vector intercepts, boolean binomial) {
        int rows = coefficients.numRows();
        int d = coefficients.numCols();
        float[] c = new float[Math.multiplyExact(rows, d)];
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < d; p++) {
                c[i * d + p] = (float) coefficients.apply(i, p);
            }
        }
        float[] b = new float[intercepts.size()];
        for (int j = 0; j < b.length; j++) {
            b[j] = (float) intercepts.apply(j);
        }
        long checksum = 31L * Arrays.hashCode(c) + Arrays.hashCode(b);
        Broadcast<Values> shipped = spark.sparkContext().broadcast(new Values(c, b),
                scala.reflect.ClassTag$.MODULE$.apply(Values.class));
        return new EmbeddedWeights(id, rows, d, binomial, checksum, shipped);
    }

    @Override
    public String cacheKey() {
        return name() + "@" + rows + "x" + d + "/" + Long.toHexString(checksum);
    }

    @Override
    public String name() {
        return "model:" + id;
    }

    @Override
    public String describeShape(int d, int h) {
        return "the model's coefficients are " + rows + "×" + this.d;
    }

    /** Classes the scores have: the rows, or 2 for a binomial model. */
    int classes() {
        return binomial ? 2 : rows;
    }

    /**
     * {@code W[d×h]} and {@code b[h]} in {@code allocator}'s memory; coefficients or intercepts holding NaN
     * or an infinity, or intercepts that are not one per row, are refused with the message a weights file
     * would get.
     */
    Tensor[] load(BufferAllocator allocator) {
        Values v = values.value();
        String source = "NumarrowTransformer " + id;
        if (v.intercepts().length != rows) {
            throw new BadInputException(source + ": shapes do not fit: the intercepts (bias) have " + v.intercepts().length
                    + " values, but the coefficients are " + rows + "×" + d + " (the bias needs h=" + rows
                    + ", one per row of coefficients)");
        }
        // Checked as the user holds them: row = class, column = feature.
        WeightsFile.requireFinite(Tensor.fromArray(allocator, rows, d, v.coefficients()), source + " coefficients",
                "weights").close();
        WeightsFile.requireFinite(Tensor.fromArray(allocator, 1, rows, v.intercepts()), source + " intercepts",
                "bias").close();
        int h = classes();
        float[] w = new float[Math.multiplyExact(d, h)];
        float[] b = new float[h];
        int first = binomial ? 1 : 0; // a binomial model's class 0 has margin 0
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < d; p++) {
                w[p * h + first + i] = v.coefficients()[i * d + p];
            }
            b[first + i] = v.intercepts()[i];
        }
        Tensor weights = Tensor.fromArray(allocator, d, h, w);
        try {
            return new Tensor[] {weights, Tensor.fromArray(allocator, 1, h, b)};
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }
}
