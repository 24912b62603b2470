package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.compute.Ops;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@code Transformer} that appends {@code ops(inputCol)} to every row: {@code matmul}
 * with a weight matrix {@code W[d×h]} (plus a bias), {@code softmax}, or both, computed by numarrow on
 * every executor, and with {@code argmax} each row's class. The input column is {@code array<float>}
 * or an ML {@code Vector} (dense or sparse) of length {@code d}; the output column is
 * {@code array<float>} of length {@code h}, or an ML {@code Vector} ({@code outputType} "vector");
 * the class column ({@code predictionCol}) a double; the margins {@code x·W + b}
 * ({@code rawPredictionCol}, off unless set) like the output. A null input row gives null in each.
 *
 * <p>The weights come from a file ({@code weightsPath}) or travel with the transformer
 * ({@code coefficients}, {@code intercepts}): {@link #fromModel} makes one that scores like a fitted
 * {@code LogisticRegressionModel}, and a saved {@code Pipeline} holding it scores without the model.
 *
 * <pre>{@code
 * NumarrowTransformer t = new NumarrowTransformer()
 *         .setInputCol("features").setOutputCol("scores")
 *         .setWeightsPath("hdfs:///models/W.arrow").setOps("matmul,softmax");
 * Dataset<Row> scored = t.transform(df);
 * }</pre>
 *
 * <p>Spark finds the params through the public no-argument methods returning them
 * ({@link #inputCol()}, ...), and accepts only params whose parent is this stage's uid: so the
 * uid is set first and the params are made after it, in the constructor.
 */
public final class NumarrowTransformer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    public static final int DEFAULT_BATCH_ROWS = 4096;

    private final String uid;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> weightsPath;
    private final Param<String> ops;
    private final IntParam batchRows;
    private final IntParam threads;
    private final Param<String> predictionCol;
    private final Param<String> rawPredictionCol;
    private final Param<String> outputType;
    private final Param<Matrix> coefficients;
    private final Param<Vector> intercepts;
    private final BooleanParam binomial;

    public NumarrowTransformer() {
        this(Identifiable$.MODULE$.randomUID("numarrow"));
    }

    /** The constructor Spark calls, by reflection, when it loads a saved stage or copies one. */
    public NumarrowTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column: array<float> or ML Vector, d values per row");
        outputCol = new Param<>(this, "outputCol", "output column: array<float>, h values per row");
        weightsPath = new Param<>(this, "weightsPath", "Arrow IPC file of W[d×h] (d rows of"
                + " FixedSizeList<float32>[h]) or a .npy of shape (d, h); a local path on every node or any Hadoop filesystem path");
        ops = new Param<>(this, "ops", "operations: matmul, softmax or matmul,softmax, each optionally followed by"
                + " ,argmax (each row's class into predictionCol)", new OpsValidator());
        batchRows = new IntParam(this, "batchRows", "rows per Arrow batch (> 0)", ParamValidators.gt(0));
        threads = new IntParam(this, "threads", "numarrow threads per executor JVM; 0 = all the executor's cores"
                + " (each task on its own thread while the executor runs as many numarrow tasks as it has cores, else"
                + " on a pool of that many threads); 1 = each task computes on its own thread",
                ParamValidators.gtEq(0));
        predictionCol = new Param<>(this, "predictionCol", "with ops ending in argmax: the column of each row's class,"
                + " the index of its largest output value (a double; null for a null or NaN row)");
        rawPredictionCol = new Param<>(this, "rawPredictionCol", "the margins x·W + b before the softmax, like"
                + " Spark's classifiers' rawPrediction (a binomial model's [-z, z]); empty for none");
        outputType = new Param<>(this, "outputType", "the output and raw prediction columns' type: array"
                + " (array<float>) or vector (an ML DenseVector of doubles, as Spark's classifiers write)",
                new OneOf("array", "vector"));
        coefficients = new Param<>(this, "coefficients", "the weights carried by the transformer instead of a"
                + " weightsPath: one row per output, rows×d (a LogisticRegressionModel's coefficientMatrix)");
        intercepts = new Param<>(this, "intercepts", "with coefficients: one intercept (bias) per row of"
                + " coefficients, added to each margin (zeros when unset)");
        binomial = new BooleanParam(this, "binomial", "the coefficients are a binomial model's one row, the"
                + " margin z of class 1: the scores are the softmax over [0, z] (its sigmoid)");
        setDefault(inputCol, "features");
        setDefault(outputCol, "output");
        setDefault(predictionCol, "prediction");
        setDefault(rawPredictionCol, "");
        setDefault(outputType, "array");
        setDefault(binomial, false);
        setDefault(ops, "matmul,softmax");
        setDefault(batchRows, DEFAULT_BATCH_ROWS);
        setDefault(threads, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> inputCol() {
        return inputCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public Param<String> weightsPath() {
        return weightsPath;
    }

    public Param<String> ops() {
        return ops;
    }

    public IntParam batchRows() {
        return batchRows;
    }

    public IntParam threads() {
        return threads;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> rawPredictionCol() {
        return rawPredictionCol;
    }

    public Param<String> outputType() {
        return outputType;
    }

    public Param<Matrix> coefficients() {
        return coefficients;
    }

    public Param<Vector> intercepts() {
        return intercepts;
    }

    public BooleanParam binomial() {
        return binomial;
    }

    public String getPredictionCol() {
        return getOrDefault(predictionCol);
    }

    public String getRawPredictionCol() {
        return getOrDefault(rawPredictionCol);
    }

    public String getOutputType() {
        return getOrDefault(outputType);
    }

    /** The coefficients carried by the transformer, or null when unset (the weights come from weightsPath). */
    public Matrix getCoefficients() {
        return isDefined(coefficients) ? getOrDefault(coefficients) : null;
    }

    /** The intercepts, or null when unset. */
    public Vector getIntercepts() {
        return isDefined(intercepts) ? getOrDefault(intercepts) : null;
    }

    public boolean getBinomial() {
        return (Boolean) getOrDefault(binomial);
    }

    public NumarrowTransformer setPredictionCol(String value) {
        set(predictionCol, value);
        return this;
    }

    public NumarrowTransformer setRawPredictionCol(String value) {
        set(rawPredictionCol, value);
        return this;
    }

    public NumarrowTransformer setOutputType(String value) {
        set(outputType, value);
        return this;
    }

    /** Weights carried by the transformer: {@code rows×d}, one row per output (the weights are its transpose). */
    public NumarrowTransformer setCoefficients(Matrix value) {
        set(coefficients, value);
        return this;
    }

    public NumarrowTransformer setIntercepts(Vector value) {
        set(intercepts, value);
        return this;
    }

    public NumarrowTransformer setBinomial(boolean value) {
        set(binomial, value);
        return this;
    }

    /**
     * A transformer that scores like {@code model.transform}: the same features column, the
     * probabilities under the model's {@code probabilityCol} (an ML Vector, or {@code array<float>}
     * with {@code setOutputType("array")}), each row's class under its {@code predictionCol} (a double),
     * and, when set with {@link #setRawPredictionCol}, the margins. Multinomial and binomial models
     * both work: a binomial model's probability is the sigmoid of its one margin, the softmax over
     * {@code [0, z]}. The coefficients and intercepts are copied into the transformer's params, so it
     * is saved and loaded with them. A model with its own thresholds is refused: numarrow predicts the
     * most probable class.
     */
    public static NumarrowTransformer fromModel(LogisticRegressionModel model) {
        Matrix c = model.coefficientMatrix();
        int classes = model.numClasses();
        boolean isBinomial = c.numRows() == 1 && classes == 2;
        if (!isBinomial && c.numRows() != classes) {
            throw new IllegalArgumentException("NumarrowTransformer.fromModel: the model has " + classes
                    + " classes but " + c.numRows() + " coefficient rows");
        }
        if (isBinomial ? model.getThreshold() != 0.5 : model.isSet(model.thresholds())) {
            throw new IllegalArgumentException("NumarrowTransformer.fromModel: the model " + model.uid() + " sets "
                    + (isBinomial ? "threshold " + model.getThreshold() : "thresholds "
                    + Arrays.toString(model.getThresholds())) + "; numarrow predicts the most probable class"
                    + " (threshold 0.5): clear them to score it here");
        }
        String probability = model.getProbabilityCol();
        String prediction = model.getPredictionCol();
        if (probability.isEmpty() && prediction.isEmpty()) {
            throw new IllegalArgumentException("NumarrowTransformer.fromModel: the model " + model.uid()
                    + " writes neither probabilities nor predictions (probabilityCol and predictionCol are empty)");
        }
        String ops = probability.isEmpty() ? "matmul,argmax" : prediction.isEmpty() ? "matmul,softmax"
                : "matmul,softmax,argmax";
        return new NumarrowTransformer().setInputCol(model.getFeaturesCol()).setOutputCol(probability)
                .setPredictionCol(prediction.isEmpty() ? "prediction" : prediction).setOps(ops).setOutputType("vector")
                .setCoefficients(c).setIntercepts(model.interceptVector()).setBinomial(isBinomial);
    }

    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    /** The weights path, or null when unset (softmax alone needs none). */
    public String getWeightsPath() {
        return isDefined(weightsPath) ? getOrDefault(weightsPath) : null;
    }

    public String getOps() {
        return getOrDefault(ops);
    }

    public int getBatchRows() {
        return (Integer) getOrDefault(batchRows);
    }

    public int getThreads() {
        return (Integer) getOrDefault(threads);
    }

    public NumarrowTransformer setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    public NumarrowTransformer setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    public NumarrowTransformer setWeightsPath(String value) {
        set(weightsPath, value);
        return this;
    }

    public NumarrowTransformer setOps(String value) {
        set(ops, value);
        return this;
    }

    public NumarrowTransformer setBatchRows(int value) {
        set(batchRows, value);
        return this;
    }

    public NumarrowTransformer setThreads(int value) {
        set(threads, value);
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        FeatureColumn.find(schema, getInputCol());
        Ops parsed = parsedOps();
        Matrix c = getCoefficients();
        if (parsed.needsWeights() && getWeightsPath() == null && c == null) {
            throw new IllegalArgumentException("NumarrowTransformer: ops '" + parsed + "' need a weight matrix;"
                    + " set weightsPath to an Arrow IPC or .npy file of W[d×h], or coefficients"
                    + " (NumarrowTransformer.fromModel)");
        }
        if (getWeightsPath() != null && c != null) {
            throw new IllegalArgumentException("NumarrowTransformer: both weightsPath and coefficients are set;"
                    + " set one of them");
        }
        if (c != null && getBinomial() && c.numRows() != 1) {
            throw new IllegalArgumentException("NumarrowTransformer: binomial coefficients are one row (the margin"
                    + " of class 1); these are " + c.numRows() + "×" + c.numCols());
        }
        if (!getRawPredictionCol().isEmpty() && !parsed.needsWeights()) {
            throw new IllegalArgumentException("NumarrowTransformer: rawPredictionCol '" + getRawPredictionCol()
                    + "' holds the margins of a matmul, and ops '" + parsed + "' have none");
        }
        AddedColumns columns = addedColumns(parsed);
        if (columns.count() == 0) {
            throw new IllegalArgumentException("NumarrowTransformer: nothing to add: outputCol is empty and ops '"
                    + parsed + "' end in no argmax");
        }
        return columns.addTo(schema);
    }

    private AddedColumns addedColumns(Ops parsed) {
        return new AddedColumns(getOutputCol().isEmpty() ? null : getOutputCol(),
                parsed.argmax() ? getPredictionCol() : null,
                getRawPredictionCol().isEmpty() ? null : getRawPredictionCol(), getOutputType().equals("vector"));
    }

    /** The weights the tasks load: the file, or the coefficients broadcast once per transform. */
    private WeightsOrigin weightsOrigin(Ops parsed, SparkSession spark) {
        if (!parsed.needsWeights()) {
            return null;
        }
        Matrix c = getCoefficients();
        if (c == null) {
            return WeightsSource.resolve(getWeightsPath(), spark);
        }
        Vector b = getIntercepts();
        return EmbeddedWeights.of(spark, uid, c, b != null ? b : Vectors.zeros(c.numRows()), getBinomial());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema(), true);
        PartitionSpec spec = partitionSpec(dataset, parsedOps());
        RDD<InternalRow> in = CatalystFrames.internalRows(dataset, SparkSettings.of(dataset.sparkSession()), spec);
        RDD<InternalRow> out = in.toJavaRDD().mapPartitionsWithIndex(new PartitionFunction(spec), true).rdd();
        return CatalystFrames.dataFrame(dataset.sparkSession(), out, outSchema);
    }

    /**
     * Scores {@code dataset} and writes it as Arrow IPC files into the folder {@code path}, one
     * {@code part-PPPPP.arrow} per non-empty partition plus {@code _SUCCESS}: each task writes its
     * partition's batches straight from numarrow's Arrow columns, with no Spark row made for the output
     * (much cheaper than {@code transform(df).write()} to Parquet). The files hold the input's columns
     * in their order, the features as {@code FixedSizeList<float32>[d]} (the floats numarrow scored),
     * then the scores ({@code outputCol}, {@code FixedSizeList<float32>[h]}, also when
     * {@code outputType} is "vector") and with argmax the class ({@code predictionCol}, int32); null
     * rows null. {@code numarrow compute} and any Arrow reader read them. Each task attempt writes a
     * file of its own under {@code _temporary}, and the driver renames the attempt Spark took for
     * each partition once the whole job succeeded, so a killed or failed attempt leaves no row twice.
     * The folder is on a filesystem every executor and the driver see (local on one machine or a
     * shared mount, or a Hadoop filesystem).
     *
     * @param mode {@code ErrorIfExists} or {@code Overwrite}
     * @return the rows written
     */
    public long writeArrow(Dataset<?> dataset, String path, SaveMode mode) {
        StructType inSchema = dataset.schema();
        transformSchema(inSchema, true);
        Ops parsed = parsedOps();
        if (!parsed.needsWeights()) {
            throw new IllegalArgumentException("NumarrowTransformer.writeArrow: ops '" + parsed + "' have no matmul;"
                    + " Arrow output needs the weights (they fix the columns' shapes before the first row)");
        }
        if (!getRawPredictionCol().isEmpty()) {
            throw new IllegalArgumentException("NumarrowTransformer.writeArrow: writes no rawPrediction column;"
                    + " clear rawPredictionCol, or use transform");
        }
        PartitionSpec spec = partitionSpec(dataset, parsed);
        SparkSession spark = dataset.sparkSession();
        ArrowOutputFolder folder = ArrowOutputFolder.prepare(spark, path, mode);
        ArrowPartWriter writer = new ArrowPartWriter(spec, inSchema, spark.conf().get("spark.sql.session.timeZone"),
                folder);
        java.util.List<ArrowPart> parts;
        try {
            parts = CatalystFrames.internalRows(dataset, SparkSettings.of(spark), spec).toJavaRDD().mapPartitionsWithIndex(writer, false).collect();
        } catch (Exception e) { // Spark's own (a failed job) are checked ones, thrown from Scala
            folder.abort(spark);
            throw e;
        }
        return folder.commit(spark, parts);
    }

    /** What the tasks need, decided here on the driver. */
    private PartitionSpec partitionSpec(Dataset<?> dataset, Ops parsed) {
        WeightsOrigin weights = weightsOrigin(parsed, dataset.sparkSession());
        SparkSettings settings = SparkSettings.of(dataset.sparkSession());
        TaskFigures figures = settings.metrics()
                ? TaskFigures.register(dataset.sparkSession().sparkContext(), parsed.needsWeights()) : null;
        return new PartitionSpec(FeatureColumn.find(dataset.schema(), getInputCol()), parsed, weights,
                isSet(batchRows) ? getBatchRows() : settings.batchRows(),
                isSet(threads) ? getThreads() : settings.threads(), addedColumns(parsed), figures);
    }

    private Ops parsedOps() {
        try {
            return Ops.parse(getOps());
        } catch (BadInputException e) {
            throw new IllegalArgumentException("NumarrowTransformer: " + e.getMessage(), e);
        }
    }

    @Override
    public NumarrowTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads a transformer saved with {@code write().save(path)}; Spark's Pipeline loader calls it too. */
    public static MLReader<NumarrowTransformer> read() {
        return new DefaultParamsReader<>();
    }

    public static NumarrowTransformer load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return "NumarrowTransformer: uid=" + uid + ", ops=" + getOps() + ", " + getInputCol() + " -> " + getOutputCol();
    }

    /** Accepts one of a few spellings; serializable, because params travel with the stage. */
    private static final class OneOf extends scala.runtime.AbstractFunction1<String, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String[] allowed;

        OneOf(String... allowed) {
            this.allowed = allowed;
        }

        @Override
        public Object apply(String value) {
            return Arrays.asList(allowed).contains(value);
        }
    }

    /** Accepts what {@link Ops#parse} accepts; serializable, because params travel with the stage. */
    private static final class OpsValidator extends scala.runtime.AbstractFunction1<String, Object>
            implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Object apply(String value) {
            try {
                Ops.parse(value);
                return Boolean.TRUE;
            } catch (BadInputException e) {
                return Boolean.FALSE;
            }
        }
    }
}
