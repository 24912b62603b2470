package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Params and {@code transformSchema}: no Spark session needed. */
class NumarrowTransformerSchemaTest {
    private static StructType schema(DataType features) {
        return new StructType().add("id", DataTypes.LongType).add("features", features);
    }

    private static final StructType FLOATS = schema(DataTypes.createArrayType(DataTypes.FloatType, true));

    private static NumarrowTransformer matmul() {
        return new NumarrowTransformer().setWeightsPath("/models/W.arrow").setOps("matmul");
    }

    @Test
    @Timeout(10)
    void floatArraysAndVectorsGiveAnArrayOfFloatsColumn() {
        for (DataType in : List.of(DataTypes.createArrayType(DataTypes.FloatType, true),
                DataTypes.createArrayType(DataTypes.FloatType, false), SQLDataTypes.VectorType())) {
            StructType out = matmul().setOutputCol("y").transformSchema(schema(in));
            assertEquals(3, out.fields().length);
            assertEquals("y", out.fields()[2].name());
            ArrayType type = (ArrayType) out.fields()[2].dataType();
            assertEquals(DataTypes.FloatType, type.elementType());
            assertFalse(type.containsNull());
            assertTrue(out.fields()[2].nullable(), "null input rows give null output rows");
        }
    }

    @Test
    @Timeout(10)
    void aMissingInputColumnIsNamedWithTheColumnsThatExist() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul().setInputCol("x").transformSchema(FLOATS));
        assertEquals("NumarrowTransformer: input column 'x' does not exist; the columns are: id (bigint),"
                + " features (array<float>)", e.getMessage());
    }

    @Test
    @Timeout(10)
    void aWrongTypeSaysWhatFits() {
        IllegalArgumentException doubles = assertThrows(IllegalArgumentException.class,
                () -> matmul().transformSchema(schema(DataTypes.createArrayType(DataTypes.DoubleType))));
        assertEquals("NumarrowTransformer: input column 'features' has type array<double>, expected"
                + " array<float> or an ML Vector (org.apache.spark.ml.linalg) (cast it:"
                + " col('features').cast('array<float>'))", doubles.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> matmul().transformSchema(schema(DataTypes.StringType)));
        assertTrue(text.getMessage().contains("has type string, expected array<float> or an ML Vector"),
                text.getMessage());
    }

    @Test
    @Timeout(10)
    void anExistingOutputColumnIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul().setOutputCol("id").transformSchema(FLOATS));
        assertEquals("NumarrowTransformer: output column 'id' already exists; choose another outputCol",
                e.getMessage());
    }

    @Test
    @Timeout(10)
    void matmulNeedsWeightsAndSoftmaxDoesNot() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NumarrowTransformer().setOps("matmul,softmax").transformSchema(FLOATS));
        assertTrue(e.getMessage().contains("ops 'matmul,softmax' need a weight matrix; set weightsPath"),
                e.getMessage());
        assertEquals(3, new NumarrowTransformer().setOps("softmax").transformSchema(FLOATS).fields().length);
    }

    @Test
    @Timeout(10)
    void argmaxAddsADoubleColumnAndVectorsAreVectors() {
        StructType out = matmul().setOps("matmul,softmax,argmax").setOutputType("vector").setRawPredictionCol("raw")
                .transformSchema(FLOATS);
        assertEquals(List.of("id", "features", "output", "prediction", "raw"), List.of(out.fieldNames()));
        assertEquals(SQLDataTypes.VectorType(), out.fields()[2].dataType());
        assertEquals(DataTypes.DoubleType, out.fields()[3].dataType());
        assertEquals(SQLDataTypes.VectorType(), out.fields()[4].dataType());
        StructType predictionOnly = matmul().setOps("matmul,argmax").setOutputCol("").transformSchema(FLOATS);
        assertEquals(List.of("id", "features", "prediction"), List.of(predictionOnly.fieldNames()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul().setOps("matmul,argmax").setPredictionCol("id").transformSchema(FLOATS));
        assertEquals("NumarrowTransformer: prediction column 'id' already exists; choose another predictionCol", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> matmul().setOutputCol("").transformSchema(FLOATS));
        assertTrue(e.getMessage().contains("nothing to add"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NumarrowTransformer().setOps("softmax").setRawPredictionCol("raw").transformSchema(FLOATS));
        assertTrue(e.getMessage().contains("margins of a matmul"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> matmul()
                .setCoefficients(org.apache.spark.ml.linalg.Matrices.zeros(2, 3)).transformSchema(FLOATS));
        assertTrue(e.getMessage().contains("both weightsPath and coefficients"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> matmul().setOutputType("list"));
    }

    @Test
    @Timeout(10)
    void badParamValuesAreRefusedWhenSet() {
        NumarrowTransformer t = new NumarrowTransformer();
        assertThrows(IllegalArgumentException.class, () -> t.setOps("relu"));
        assertThrows(IllegalArgumentException.class, () -> t.setOps("softmax,matmul"));
        assertThrows(IllegalArgumentException.class, () -> t.setBatchRows(0));
        assertThrows(IllegalArgumentException.class, () -> t.setThreads(-1));
        assertEquals("matmul, softmax", t.setOps("matmul, softmax").getOps(), "Ops.parse's spellings are accepted");
    }

    @Test
    @Timeout(10)
    void defaultsAndParamsAsSparkFindsThem() {
        NumarrowTransformer t = new NumarrowTransformer();
        assertEquals("features", t.getInputCol());
        assertEquals("output", t.getOutputCol());
        assertEquals("matmul,softmax", t.getOps());
        assertEquals(4096, t.getBatchRows());
        assertEquals(0, t.getThreads());
        assertEquals(null, t.getWeightsPath());
        List<String> names = Arrays.stream(t.params()).map(Param::name).sorted().toList();
        assertEquals(List.of("batchRows", "binomial", "coefficients", "inputCol", "intercepts", "ops", "outputCol",
                "outputType", "predictionCol", "rawPredictionCol", "threads", "weightsPath"), names);
        assertEquals("prediction", t.getPredictionCol());
        assertEquals("", t.getRawPredictionCol());
        assertEquals("array", t.getOutputType());
        assertEquals(null, t.getCoefficients());
        for (Param<?> p : t.params()) {
            assertEquals(t.uid(), p.parent(), p.name() + " belongs to this stage");
        }
        assertTrue(t.uid().startsWith("numarrow_"), t.uid());
    }

    @Test
    @Timeout(10)
    void copyKeepsUidAndParamsAndAppliesExtras() {
        NumarrowTransformer t = matmul().setBatchRows(128);
        NumarrowTransformer c = t.copy(new ParamMap().put(t.threads(), 3));
        assertNotSame(t, c);
        assertEquals(t.uid(), c.uid());
        assertEquals(128, c.getBatchRows());
        assertEquals(3, c.getThreads());
        assertEquals("/models/W.arrow", c.getWeightsPath());
        assertEquals(0, t.getThreads(), "the original is unchanged");
    }
}
