package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.compute.Ops;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.Transformer;
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
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@code Transformer} that appends {@code ops(inputCol)} to every row: {@code matmul}
 * with a weight matrix {@code W[d×h]}, {@code softmax}, or both, computed by numarrow on every
 * executor. The input column is {@code array<float>} or an ML {@code Vector} of length {@code d};
 * the output column is {@code array<float>} of length {@code h}. A null input row gives a null
 * output row.
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

    public NumarrowTransformer() {
        this(Identifiable$.MODULE$.randomUID("numarrow"));
    }

    /** The constructor Spark calls, by reflection, when it loads a saved stage or copies one. */
    public NumarrowTransformer(String uid) {
        this.uid = uid;
        inputCol = new Param<>(this, "inputCol", "input column: array<float> or ML Vector, d values per row");
        outputCol = new Param<>(this, "outputCol", "output column: array<float>, h values per row");
        weightsPath = new Param<>(this, "weightsPath", "Arrow IPC file of W[d×h] (d rows of"
                + " FixedSizeList<float32>[h]); a local path on every node or any Hadoop filesystem path");
        ops = new Param<>(this, "ops", "operations: matmul, softmax or matmul,softmax", new OpsValidator());
        batchRows = new IntParam(this, "batchRows", "rows per Arrow batch (> 0)", ParamValidators.gt(0));
        threads = new IntParam(this, "threads", "numarrow threads per executor JVM; 0 = all the executor's cores",
                ParamValidators.gtEq(0));
        setDefault(inputCol, "features");
        setDefault(outputCol, "output");
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
        if (parsed.needsWeights() && getWeightsPath() == null) {
            throw new IllegalArgumentException("NumarrowTransformer: ops '" + parsed + "' need a weight matrix;"
                    + " set weightsPath to an Arrow IPC file of W[d×h]");
        }
        return FeatureColumn.withOutput(schema, getOutputCol());
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType inSchema = dataset.schema();
        StructType outSchema = transformSchema(inSchema, true);
        Ops parsed = parsedOps();
        WeightsSource weights = parsed.needsWeights()
                ? WeightsSource.resolve(getWeightsPath(), dataset.sparkSession()) : null;
        DataType[] outTypes = Arrays.stream(outSchema.fields()).map(StructField::dataType).toArray(DataType[]::new);
        SparkSettings settings = SparkSettings.of(dataset.sparkSession());
        TaskFigures figures = settings.metrics()
                ? TaskFigures.register(dataset.sparkSession().sparkContext(), parsed.needsWeights()) : null;
        PartitionSpec spec = new PartitionSpec(FeatureColumn.find(inSchema, getInputCol()), parsed, weights,
                isSet(batchRows) ? getBatchRows() : settings.batchRows(),
                isSet(threads) ? getThreads() : settings.threads(), outTypes, figures);
        RDD<InternalRow> in = CatalystFrames.internalRows(dataset);
        RDD<InternalRow> out = in.toJavaRDD().mapPartitionsWithIndex(new PartitionFunction(spec), true).rdd();
        return CatalystFrames.dataFrame(dataset.sparkSession(), out, outSchema);
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
