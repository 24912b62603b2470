package io.numarrow.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.Matrices;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NumarrowTransformer#fromModel} against Spark's own {@code LogisticRegressionModel.transform} on the
 * same rows: probabilities within 1e-5, predictions equal except where the two top probabilities are within
 * 1e-6; fitted and constructed models, multinomial and binomial, dense and sparse feature vectors; a saved
 * pipeline that scores without the model; and the failures a weights file would give.
 */
class LogisticModelTest {
    private static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType, false)
            .add("features", SQLDataTypes.VectorType(), true).add("label", DataTypes.DoubleType, false);

    @TempDir
    static Path dir;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkTestData.session("LogisticModelTest");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /**
     * {@code n} rows of {@code d} features, every other one stored sparse (a third of its values zero),
     * labelled by a hidden linear model of {@code classes} classes.
     */
    static Dataset<Row> rows(int n, int d, int classes, long seed, int partitions) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] hidden = new double[classes][d];
        for (double[] row : hidden) {
            for (int p = 0; p < d; p++) {
                row[p] = random.nextDouble(-2, 2);
            }
        }
        List<Row> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] x = new double[d];
            for (int p = 0; p < d; p++) {
                x[p] = i % 2 == 1 && random.nextInt(3) == 0 ? 0 : random.nextDouble(-1, 1);
            }
            int label = 0;
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double z = random.nextGaussian() * 0.5;
                for (int p = 0; p < d; p++) {
                    z += hidden[c][p] * x[p];
                }
                if (z > best) {
                    best = z;
                    label = c;
                }
            }
            Vector v = Vectors.dense(x);
            list.add(RowFactory.create((long) i, i % 2 == 1 ? v.toSparse() : v, (double) label));
        }
        return spark.createDataFrame(list, SCHEMA).repartition(partitions);
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("multinomial, fitted", 4, "multinomial", 23),
                Arguments.of("binomial, fitted", 2, "binomial", 23),
                Arguments.of("multinomial of 2 classes, fitted", 2, "multinomial", 17),
                Arguments.of("multinomial, 15 classes", 15, "multinomial", 33));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    @Timeout(180)
    void scoresLikeSparksOwnTransform(String name, int classes, String family, int d) {
        LogisticRegressionModel model = new LogisticRegression().setFamily(family).setMaxIter(25).setRegParam(0.01)
                .fit(rows(400, d, classes, d * 7L + classes, 2));
        assertEquals(family.equals("binomial") ? 1 : classes, model.coefficientMatrix().numRows(), name);
        Dataset<Row> test = rows(1001, d, classes, 5, 3);
        compare(model, test, name, 0);
        if (classes == 4) {
            compare(model, test, name + ", each task on its own thread", 1);
        }
    }

    /** A constructed model whose classes 1 and 3 are alike: every row ties, and both take the lower index. */
    @Test
    @Timeout(120)
    void exactTiesGoToTheLowerClassLikeSpark() {
        int d = 9;
        int classes = 5;
        SplittableRandom random = new SplittableRandom(3);
        double[] values = new double[classes * d]; // column-major, as Matrices.dense takes them
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextDouble(-1, 1);
        }
        for (int p = 0; p < d; p++) {
            values[p * classes + 3] = values[p * classes + 1];
        }
        double[] intercepts = {0.1, 3, -0.2, 3, 0};
        LogisticRegressionModel model = new LogisticRegressionModel("tied", Matrices.dense(classes, d, values),
                Vectors.dense(intercepts), classes, true);
        Map<Long, Row> ours = byId(NumarrowTransformer.fromModel(model).transform(rows(300, d, classes, 9, 2)));
        Map<Long, Row> theirs = byId(model.transform(rows(300, d, classes, 9, 2)));
        int tiedTop = 0;
        for (Map.Entry<Long, Row> e : theirs.entrySet()) {
            Vector p = e.getValue().getAs("probability");
            Row mine = ours.get(e.getKey());
            assertEquals(p.apply(1), p.apply(3), 0.0, "the model ties classes 1 and 3");
            if (p.argmax() == 1) {
                tiedTop++;
                assertEquals(1.0, (double) mine.getAs("prediction"), "row " + e.getKey() + ": the lower of the tied classes");
            }
        }
        assertTrue(tiedTop > 30, "enough rows where the tie is the top: " + tiedTop);
    }

    private void compare(LogisticRegressionModel model, Dataset<Row> test, String name, int threads) {
        NumarrowTransformer numarrow = NumarrowTransformer.fromModel(model).setRawPredictionCol("rawPrediction")
                .setThreads(threads);
        Map<Long, Row> theirs = byId(model.transform(test));
        Map<Long, Row> ours = byId(numarrow.transform(test));
        assertEquals(theirs.keySet(), ours.keySet(), name);
        int compared = 0;
        for (Map.Entry<Long, Row> e : theirs.entrySet()) {
            Row t = e.getValue();
            Row o = ours.get(e.getKey());
            String where = name + ", id " + e.getKey();
            Vector pt = t.getAs("probability");
            Vector po = o.getAs("probability");
            assertEquals(pt.size(), po.size(), where);
            for (int j = 0; j < pt.size(); j++) {
                assertEquals(pt.apply(j), po.apply(j), 1e-5, where + ", probability " + j);
            }
            Vector rt = t.getAs("rawPrediction");
            Vector ro = o.getAs("rawPrediction");
            for (int j = 0; j < rt.size(); j++) {
                assertEquals(rt.apply(j), ro.apply(j), 1e-4 * Math.max(1, Math.abs(rt.apply(j))), where + ", raw " + j);
            }
            double[] sorted = pt.toArray().clone();
            java.util.Arrays.sort(sorted);
            if (sorted[sorted.length - 1] - sorted[sorted.length - 2] > 1e-6) {
                assertEquals((double) t.getAs("prediction"), (double) o.getAs("prediction"), 0.0, where + ", prediction");
                compared++;
            }
        }
        assertTrue(compared > theirs.size() * 9 / 10, name + ": predictions compared on " + compared + " rows");
    }

    private static Map<Long, Row> byId(Dataset<Row> scored) {
        Map<Long, Row> m = new HashMap<>();
        for (Row r : scored.collectAsList()) {
            m.put(r.getLong(r.fieldIndex("id")), r);
        }
        return m;
    }

    @Test
    @Timeout(120)
    void aSavedPipelineScoresWithoutTheModel() throws Exception {
        int d = 11;
        LogisticRegressionModel model = new LogisticRegression().setMaxIter(20).fit(rows(300, d, 3, 1, 2));
        NumarrowTransformer numarrow = NumarrowTransformer.fromModel(model).setBatchRows(64);
        SQLTransformer before = new SQLTransformer().setStatement("SELECT id, features, label FROM __THIS__ WHERE id % 5 <> 4");
        PipelineModel pipeline = new Pipeline().setStages(new PipelineStage[] {before, numarrow}).fit(rows(10, d, 3, 2, 1));
        Path saved = dir.resolve("scoring-pipeline");
        pipeline.write().overwrite().save(saved.toString());
        try (Stream<Path> files = Files.walk(saved)) {
            String metadata = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("numarrow"))
                    .filter(f -> f.getFileName().toString().startsWith("part-")).map(f -> {
                        try {
                            return Files.readString(f);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).reduce("", String::concat);
            assertTrue(metadata.contains("\"coefficients\"") && metadata.contains("\"intercepts\""), metadata);
            assertFalse(metadata.contains("weightsPath"), "no weights file: " + metadata);
        }
        PipelineModel loaded = PipelineModel.load(saved.toString());
        NumarrowTransformer stage = (NumarrowTransformer) loaded.stages()[1];
        assertEquals(model.coefficientMatrix(), stage.getCoefficients());
        assertEquals(model.interceptVector(), stage.getIntercepts());

        Dataset<Row> test = rows(500, d, 3, 4, 2);
        Map<Long, Row> ours = byId(loaded.transform(test));
        Map<Long, Row> theirs = byId(model.transform(test));
        assertEquals(400, ours.size(), "the first stage's filter ran too");
        for (Map.Entry<Long, Row> e : ours.entrySet()) {
            Vector po = e.getValue().getAs("probability");
            Vector pt = theirs.get(e.getKey()).getAs("probability");
            for (int j = 0; j < 3; j++) {
                assertEquals(pt.apply(j), po.apply(j), 1e-5, "id " + e.getKey());
            }
        }
    }

    @Test
    @Timeout(60)
    void floatArraysPredictionsAloneAndNullRows() {
        int d = 6;
        LogisticRegressionModel model = new LogisticRegressionModel("m", Matrices.dense(3, d, new double[] {
                1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, -1, 0, 2, 0.5, 0.5, 0.5}), Vectors.dense(0, 0.5, -0.5), 3, true);
        List<Row> list = List.of(RowFactory.create(1L, Vectors.dense(1, 2, 3, 4, 5, 6), 0.0),
                RowFactory.create(2L, null, 0.0), RowFactory.create(3L, Vectors.sparse(d, new int[] {2}, new double[] {9}), 0.0));
        Dataset<Row> df = spark.createDataFrame(list, SCHEMA).coalesce(1);
        Map<Long, Row> arrays = byId(NumarrowTransformer.fromModel(model).setOutputType("array").transform(df));
        Map<Long, Row> vectors = byId(model.transform(df.where("id <> 2")));
        for (long id : new long[] {1, 3}) {
            List<Float> p = arrays.get(id).getList(arrays.get(id).fieldIndex("probability"));
            Vector expected = vectors.get(id).getAs("probability");
            for (int j = 0; j < 3; j++) {
                assertEquals(expected.apply(j), p.get(j), 1e-6, "id " + id);
            }
            assertEquals((double) vectors.get(id).getAs("prediction"), (double) arrays.get(id).getAs("prediction"));
        }
        Row nullRow = arrays.get(2L);
        assertTrue(nullRow.isNullAt(nullRow.fieldIndex("probability")) && nullRow.isNullAt(nullRow.fieldIndex("prediction")));

        model.setProbabilityCol("");
        Dataset<Row> only = NumarrowTransformer.fromModel(model).transform(df);
        assertEquals(List.of("id", "features", "label", "prediction"), List.of(only.columns()));
        Map<Long, Row> predictions = byId(only);
        assertEquals((double) vectors.get(3L).getAs("prediction"), (double) predictions.get(3L).getAs("prediction"));
        assertNull(predictions.get(2L).get(3));
    }

    @Test
    @Timeout(60)
    void badCoefficientsFailTheTaskWithTheFilesMessage() {
        Dataset<Row> df = rows(20, 4, 3, 1, 1);
        double[] values = new double[12];
        values[5] = Double.NaN;
        LogisticRegressionModel nan = new LogisticRegressionModel("nan", Matrices.dense(3, 4, values),
                Vectors.dense(0, 0, 0), 3, true);
        SparkException e = assertThrows(SparkException.class,
                () -> NumarrowTransformer.fromModel(nan).transform(df).collectAsList());
        assertTrue(SparkTestData.messages(e).contains("the weights hold 1 value that is NaN or infinite (the first, NaN, at row 2, column 1)"),
                SparkTestData.messages(e));

        NumarrowTransformer shortBias = NumarrowTransformer.fromModel(new LogisticRegressionModel("b",
                Matrices.dense(3, 4, new double[12]), Vectors.dense(0, 0, 0), 3, true)).setIntercepts(Vectors.dense(1, 2));
        e = assertThrows(SparkException.class, () -> shortBias.transform(df).collectAsList());
        assertTrue(SparkTestData.messages(e).contains("the intercepts (bias) have 2 values, but the coefficients are 3×4 (the bias needs h=3"),
                SparkTestData.messages(e));

        SparkException wrongD = assertThrows(SparkException.class, () -> NumarrowTransformer.fromModel(
                new LogisticRegressionModel("d", Matrices.dense(3, 5, new double[15]), Vectors.dense(0, 0, 0), 3, true))
                .transform(df).collectAsList());
        assertTrue(SparkTestData.messages(wrongD).contains("has 4 values, but the model's coefficients are 3×5, so d=5"), SparkTestData.messages(wrongD));
    }

    @Test
    @Timeout(60)
    void thresholdsAndOddModelsAreRefusedOnTheDriver() {
        LogisticRegressionModel binomial = new LogisticRegressionModel("t", Vectors.dense(1, 2), 0.5);
        binomial.setThreshold(0.3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NumarrowTransformer.fromModel(binomial));
        assertTrue(e.getMessage().contains("threshold 0.3"), e.getMessage());
        LogisticRegressionModel multinomial = new LogisticRegressionModel("t3", new DenseMatrix(3, 2, new double[6]),
                Vectors.dense(0, 0, 0), 3, true);
        multinomial.setThresholds(new double[] {0.2, 0.3, 0.5});
        e = assertThrows(IllegalArgumentException.class, () -> NumarrowTransformer.fromModel(multinomial));
        assertTrue(e.getMessage().contains("thresholds [0.2, 0.3, 0.5]"), e.getMessage());
    }
}
