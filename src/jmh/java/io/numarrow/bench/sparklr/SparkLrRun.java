package io.numarrow.bench.sparklr;

import io.numarrow.spark.NumarrowTransformer;
import io.numarrow.spark.TransformTimes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One shape of {@link SparkLrSuite}, in a JVM of its own: a Spark {@code local[2]} session, {@code rows}
 * dense feature vectors of {@code d} values cached in memory, a multinomial logistic regression of
 * {@code h} classes with random coefficients and intercepts, then rounds that each time Spark's own
 * {@code LogisticRegressionModel.transform} and numarrow's {@code NumarrowTransformer.fromModel} on the
 * cached rows (probability and prediction, into Spark's {@code noop} sink), numarrow on the executor's pool
 * ({@code threads} 0) and on each task's own thread ({@code threads} 1), and {@code threads} 1 again with the
 * cached rows read through Spark's own scan of the cache ({@code spark.numarrow.cachedColumns} false), the
 * order rotating. Prints one {@code round} line per round (rows/s of the first three sides, of the cached rows
 * alone into the same sink (Spark's scan, what Spark's side pays), then of the fourth side) and a
 * {@code check} line (the largest probability difference).
 *
 * <p>Arguments: rows, d, h, rounds, partitions.
 */
public final class SparkLrRun {
    private SparkLrRun() {
    }

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int d = Integer.parseInt(args[1]);
        int h = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int partitions = Integer.parseInt(args[4]);
        SparkSession spark = SparkSession.builder().master("local[2]").appName("spark-lr")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            Dataset<Row> features = features(spark, rows, d, partitions).cache();
            long count = features.count();
            if (count != rows) {
                throw new IllegalStateException("cached " + count + " rows, expected " + rows);
            }
            LogisticRegressionModel model = model(d, h);
            // threads 0: each task's batches go to the executor's pool, one batch at a time; threads 1: each
            // task computes its own batches on its own thread, as Spark runs one task per core
            NumarrowTransformer pool = NumarrowTransformer.fromModel(model).setThreads(0);
            NumarrowTransformer ownThread = NumarrowTransformer.fromModel(model).setThreads(1);
            // threads 1 again, but reading the cached rows through Spark's own scan of the cache (as before
            // numarrow read the cache's column buffers itself): the setting is read when the plan is made
            spark.conf().set("spark.numarrow.cachedColumns", "false");
            Dataset<Row> throughSparksScan = ownThread.transform(features);
            spark.conf().unset("spark.numarrow.cachedColumns");
            System.out.printf(Locale.ROOT, "check %.3g%n", Math.max(largestDifference(model, pool, features),
                    largestDifference(model, ownThread, features)));
            List<Dataset<Row>> sides = List.of(model.transform(features), pool.transform(features),
                    ownThread.transform(features), throughSparksScan);
            for (Dataset<Row> side : sides) {
                time(side); // a round each first, untimed: every side's code compiled
            }
            TransformTimes.Snapshot before = TransformTimes.snapshot();
            for (int r = 0; r < rounds; r++) {
                double[] seconds = new double[sides.size()];
                for (int i = 0; i < sides.size(); i++) {
                    int side = (r + i) % sides.size(); // each round starts with the next side
                    seconds[side] = time(sides.get(side));
                }
                // the cached rows alone into the same sink: what every side pays before it scores
                double scan = time(features);
                System.out.printf(Locale.ROOT, "round %d %.1f %.1f %.1f %.1f %.1f%n", r + 1, rows / seconds[0],
                        rows / seconds[1], rows / seconds[2], rows / scan, rows / seconds[3]);
            }
            System.out.println("where numarrow's rounds went: " + TransformTimes.snapshot().minus(before));
        } finally {
            spark.stop();
        }
    }

    /** Seconds to score every row into the {@code noop} sink. */
    private static double time(Dataset<Row> scored) {
        long start = System.nanoTime();
        scored.write().format("noop").mode("overwrite").save();
        return (System.nanoTime() - start) / 1e9;
    }

    /** A multinomial model as a fitted one holds it, with random coefficients; probability and prediction only. */
    static LogisticRegressionModel model(int d, int h) {
        SplittableRandom random = new SplittableRandom(7);
        double[] c = new double[h * d];
        for (int i = 0; i < c.length; i++) {
            c[i] = random.nextDouble(-1, 1) / Math.sqrt(d) * 3;
        }
        double[] b = new double[h];
        for (int j = 0; j < h; j++) {
            b[j] = random.nextDouble(-1, 1);
        }
        LogisticRegressionModel model = new LogisticRegressionModel("spark-lr", new DenseMatrix(h, d, c),
                Vectors.dense(b), h, true);
        model.setRawPredictionCol("");
        return model;
    }

    static Dataset<Row> features(SparkSession spark, int rows, int d, int partitions) {
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            parts.add(p);
        }
        JavaRDD<Row> rdd = JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(parts, partitions)
                .mapPartitions((Iterator<Integer> it) -> {
                    int p = it.next();
                    long from = (long) rows * p / partitions;
                    long to = (long) rows * (p + 1) / partitions;
                    SplittableRandom random = new SplittableRandom(11 + p);
                    List<Row> out = new ArrayList<>();
                    for (long id = from; id < to; id++) {
                        double[] x = new double[d];
                        for (int i = 0; i < d; i++) {
                            x[i] = random.nextDouble(-1, 1);
                        }
                        out.add(RowFactory.create(id, Vectors.dense(x)));
                    }
                    return out.iterator();
                });
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", SQLDataTypes.VectorType(), false);
        return spark.createDataFrame(rdd, schema);
    }

    /** The largest difference between the two sides' probabilities over the first 2000 rows: the same model. */
    private static double largestDifference(LogisticRegressionModel model, NumarrowTransformer numarrow,
                                            Dataset<Row> features) {
        Dataset<Row> some = features.limit(2000);
        List<Row> theirs = model.transform(some).select("id", "probability").orderBy("id").collectAsList();
        List<Row> ours = numarrow.transform(some).select("id", "probability").orderBy("id").collectAsList();
        double worst = 0;
        for (int i = 0; i < theirs.size(); i++) {
            Vector t = theirs.get(i).getAs(1);
            Vector o = ours.get(i).getAs(1);
            for (int j = 0; j < t.size(); j++) {
                worst = Math.max(worst, Math.abs(t.apply(j) - o.apply(j)));
            }
        }
        return worst;
    }
}
