package io.numarrow.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The input column as the transformer reads it: where it is in the row, and whether it holds
 * {@code array<float>} values or ML {@code Vector}s.
 *
 * @param name          the column name, for messages
 * @param index         its position in the input row
 * @param kind          how its values are laid out
 * @param elementsNullable whether an {@code array<float>} value may contain null elements
 */
record FeatureColumn(String name, int index, Kind kind, boolean elementsNullable) implements Serializable {

    enum Kind { FLOAT_ARRAY, ML_VECTOR }

    /** The type of the output column: one float per output feature, never a null element. */
    static final DataType OUTPUT_TYPE = DataTypes.createArrayType(DataTypes.FloatType, false);

    /** Finds and checks {@code inputCol} in {@code schema}; the message says what is wrong and what fits. */
    static FeatureColumn find(StructType schema, String inputCol) {
        int index;
        if (!Arrays.asList(schema.fieldNames()).contains(inputCol)) {
            throw new IllegalArgumentException("NumarrowTransformer: input column '" + inputCol
                    + "' does not exist; the columns are: " + describeColumns(schema));
        }
        index = schema.fieldIndex(inputCol);
        DataType type = schema.fields()[index].dataType();
        if (type instanceof ArrayType array && array.elementType().equals(DataTypes.FloatType)) {
            return new FeatureColumn(inputCol, index, Kind.FLOAT_ARRAY, array.containsNull());
        }
        if (type.equals(SQLDataTypes.VectorType())) {
            return new FeatureColumn(inputCol, index, Kind.ML_VECTOR, false);
        }
        String hint = "";
        if (type instanceof ArrayType array) {
            hint = " (cast it: col('" + inputCol + "').cast('array<float>'))";
        } else if (type.getClass().getName().equals("org.apache.spark.mllib.linalg.VectorUDT")) {
            hint = " (an old mllib Vector: convert it with MLUtils.convertVectorColumnsToML)";
        }
        throw new IllegalArgumentException("NumarrowTransformer: input column '" + inputCol + "' has type "
                + type.simpleString() + ", expected array<float> or an ML Vector (org.apache.spark.ml.linalg)" + hint);
    }

    private static String describeColumns(StructType schema) {
        if (schema.fields().length == 0) {
            return "(none)";
        }
        return Arrays.stream(schema.fields())
                .map(f -> f.name() + " (" + f.dataType().simpleString() + ")")
                .collect(Collectors.joining(", "));
    }
}
