package io.numarrow.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns the transformer appends to each row, in this order, each one optional: the ops' result
 * ({@code outputCol}: probabilities after a softmax), each row's class ({@code predictionCol}, a double
 * as Spark's classifiers write it), and the margins {@code x·W + b} ({@code rawPredictionCol}). Scores
 * and margins are {@code array<float>} or an ML {@code Vector} of doubles.
 *
 * @param scores      the name of the scores column, or null for none
 * @param prediction  the name of the class column, or null for none
 * @param margins     the name of the margins column, or null for none
 * @param vectors     scores and margins as ML Vectors (else {@code array<float>})
 */
record AddedColumns(String scores, String prediction, String margins, boolean vectors) implements Serializable {
    /** How many columns are appended. */
    int count() {
        return (scores != null ? 1 : 0) + (prediction != null ? 1 : 0) + (margins != null ? 1 : 0);
    }

    /** The type of the scores and margins columns. */
    DataType valuesType() {
        return vectors ? SQLDataTypes.VectorType() : FeatureColumn.OUTPUT_TYPE;
    }

    /** {@code schema} plus these columns; none may exist already. */
    StructType addTo(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        List<StructField> added = new ArrayList<>();
        add(added, names, scores, valuesType(), "output", "outputCol");
        add(added, names, prediction, DataTypes.DoubleType, "prediction", "predictionCol");
        add(added, names, margins, valuesType(), "raw prediction", "rawPredictionCol");
        StructType out = schema;
        for (StructField f : added) {
            out = out.add(f);
        }
        return out;
    }

    private static void add(List<StructField> added, List<String> existing, String name, DataType type, String what,
                            String param) {
        if (name == null) {
            return;
        }
        if (existing.contains(name) || added.stream().anyMatch(f -> f.name().equals(name))) {
            throw new IllegalArgumentException("NumarrowTransformer: " + what + " column '" + name
                    + "' already exists; choose another " + param);
        }
        added.add(new StructField(name, type, true, Metadata.empty()));
    }
}
